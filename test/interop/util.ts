/** Small helpers shared by the interop and corpus tests (no test cases here). */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { walkArtifacts, type Artifact, type Finding, type Report } from '../../src/report/model';

export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

export function md5(b: Buffer): string {
  return createHash('md5').update(b).digest('hex');
}

/** The artifact at `path` in the report tree, or throws listing what exists. */
export function artifactAt(root: Artifact, path: string): Artifact {
  for (const a of walkArtifacts(root)) if (a.path === path) return a;
  throw new Error(`no artifact "${path}" in report; have: ${[...walkArtifacts(root)].map((a) => JSON.stringify(a.path)).join(', ')}`);
}

export function errors(r: Report): Finding[] {
  return r.findings.filter((f) => f.severity === 'error');
}

/** A compact description of findings for assertion messages. */
export function describe(findings: Finding[]): string {
  return findings.length ? findings.map((f) => `${f.severity} ${f.ruleId} @${JSON.stringify(f.path)}: ${f.message}`).join('\n') : '(no findings)';
}

/** name -> sha256 of every regular file under `dir`, names relative with '/' separators. */
export function hashTree(dir: string): Map<string, { size: number; sha256: string }> {
  const out = new Map<string, { size: number; sha256: string }>();
  const visit = (d: string) => {
    for (const ent of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, ent.name);
      if (ent.isDirectory()) visit(p);
      else if (ent.isFile()) {
        const b = readFileSync(p);
        out.set(relative(dir, p).split(sep).join('/'), { size: statSync(p).size, sha256: sha256(b) });
      }
    }
  };
  visit(dir);
  return out;
}

/** name -> size + sha256 for the direct children of an artifact. */
/**
 * Samples memory while `fn` runs: peak growth of RSS and of ArrayBuffer
 * allocations (Buffers; counted even when their pages are never touched).
 */
export async function peakMemoryGrowth<T>(fn: () => Promise<T>): Promise<{ value: T; rss: number; arrayBuffers: number }> {
  const m0 = process.memoryUsage();
  let rss = m0.rss;
  let ab = m0.arrayBuffers;
  const sample = () => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    ab = Math.max(ab, m.arrayBuffers);
  };
  const timer = setInterval(sample, 2);
  try {
    const value = await fn();
    sample();
    return { value, rss: rss - m0.rss, arrayBuffers: ab - m0.arrayBuffers };
  } finally {
    clearInterval(timer);
  }
}
