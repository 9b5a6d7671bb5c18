/**
 * `romscope extract`: writes one artifact's bytes to a temp name inside the
 * output directory, verifies them while writing, then renames. Never writes
 * outside the output directory, never over the input, never over an existing
 * file without `force`.
 */
import { rmSync } from 'node:fs';
import { open, rename, rm, stat, realpath, mkdir } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadXxhash } from '../io/hash';
import { DigestSet } from '../io/digest-set';
import { UsageError, RomscopeError, errorMessage, type RomscopeErrorCode } from '../io/errors';
import { locate } from './locate';
import { openInput } from './inspect';
import { openBase, type OpenedBase } from './base';
import { safeBaseName } from '../io/paths';
import { errorToFact } from './streams';
import { registerCleanup } from '../io/cleanup';
import { BAD_BYTES_KINDS, type FactKind } from '../facts';

export interface ExtractOptions {
  force?: boolean;
  tempDir?: string;
  /** Called as the artifact is written: bytes so far, and its size when known. */
  onProgress?: (written: number, size: number | null) => void;
  /** `--base`: the build an incremental payload on the way patches (its partitions are rebuilt from it). */
  base?: string;
}

export interface ExtractResult {
  output: string;
  bytes: number;
  hashes: Record<string, string>;
}

/** The extracted bytes failed verification (exit code 1): nothing was kept. */
export class ExtractVerifyError extends RomscopeError {
  override get code(): RomscopeErrorCode {
    return 'ROMSCOPE_EXTRACT_VERIFY';
  }
}

/** Facts that mean the bytes written are not the bytes the package promises (`badBytes` in src/facts/kinds.ts). */
const FAILING_KINDS: ReadonlySet<FactKind> = new Set(BAD_BYTES_KINDS);

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * `out` is a directory (existing, or ending in '/') or a file path whose directory exists.
 * `created` is the outermost directory this call made (to be removed if the extract fails), or null.
 */
async function resolveOutput(out: string, artifactPath: string, inputName: string): Promise<{ target: string; created: string | null }> {
  const name = safeBaseName(artifactPath || inputName);
  if (out.endsWith('/') || out.endsWith(sep) || (await isDir(out))) {
    const made = await mkdir(out, { recursive: true });
    const created = made === undefined ? null : resolve(made);
    const dir = await realpath(out);
    const target = resolve(dir, name);
    if (dirname(target) !== dir) throw new UsageError(`refusing to write outside ${out}`);
    return { target, created };
  }
  const dir = dirname(resolve(out));
  if (!(await isDir(dir))) throw new UsageError(`${dirname(out)}: output directory does not exist`);
  return { target: join(await realpath(dir), basename(out)), created: null };
}

export async function extract(inputPath: string, artifactPath: string, out: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const src = await openInput(inputPath);
  await loadXxhash();
  // What this extract created, removed unless it succeeds (and on an interrupt, src/io/cleanup.ts).
  let createdDir: string | null = null;
  let unregisterDir = (): void => {};
  let ok = false;
  let loc: Awaited<ReturnType<typeof locate>> | null = null;
  let base: OpenedBase | null = null;
  try {
    if (opts.base !== undefined) base = await openBase(opts.base, { tempDir: opts.tempDir });
    // The artifact first: a mistyped path is the thing to report, not an output that already exists.
    try {
      loc = await locate(src, artifactPath, opts.tempDir, base ? { base } : {});
    } catch (e) {
      // A container on the way that stops decoding (a cut LZ4 stream holding the boot image asked into)
      // fails verification like the artifact's own bytes would: exit 1, with what went wrong.
      if (e instanceof UsageError) throw e;
      const f = errorToFact(e);
      if (FAILING_KINDS.has(f.kind)) throw new ExtractVerifyError(`${artifactPath}: a container on the way to it cannot be read whole: ${f.message}; nothing written`);
      throw e;
    }
    const found = loc;
    const { target, created } = await resolveOutput(out, artifactPath, src.name);
    if (created) {
      const dir = created;
      createdDir = dir;
      unregisterDir = registerCleanup(() => rmSync(dir, { recursive: true, force: true }));
    }
    if (target === (await realpath(inputPath))) throw new UsageError('refusing to overwrite the input file');
    if (!opts.force && (await stat(target).catch(() => null))) throw new UsageError(`${target} exists (use --force to overwrite)`);
    const tmp = join(dirname(target), `.${basename(target)}.romscope-${randomBytes(6).toString('hex')}.part`);
    const hasher = new DigestSet(['sha256', ...loc.expect.filter((e) => !e.range).map((e) => e.algo)]);
    for (const e of loc.expect) {
      if (!e.range) continue;
      hasher.addRange({
        ...e.range,
        algo: e.algo,
        done: (hex) => void (hex !== e.hex && found.facts.push({ kind: e.kind, message: `${e.algo} of bytes ${e.range!.start}-${e.range!.end} is ${hex}, ${e.from} says ${e.hex}` })),
      });
    }
    const fh = await open(tmp, 'wx', 0o644);
    // An interrupt (or an exit) before the rename removes the partial file (src/io/cleanup.ts).
    const unregister = registerCleanup(() => rmSync(tmp, { force: true }));
    try {
      try {
        let written = 0;
        for await (const chunk of loc.source.stream()) {
          const hashed = hasher.update(chunk);
          if (hashed) await hashed;
          let o = 0;
          while (o < chunk.length) o += (await fh.write(chunk, o, chunk.length - o)).bytesWritten;
          written += chunk.length;
          opts.onProgress?.(written, loc.source.size);
        }
      } catch (e) {
        loc.facts.push(errorToFact(e));
      }
      await fh.close();
      const hashes = hasher.whole.digest();
      for (const e of loc.expect) {
        if (!e.range && hashes[e.algo] !== e.hex) loc.facts.push({ kind: e.kind, message: `${e.algo} is ${hashes[e.algo]}, ${e.from} says ${e.hex}` });
      }
      const bad = loc.facts.find((f) => FAILING_KINDS.has(f.kind));
      if (bad) throw new ExtractVerifyError(`${artifactPath}: ${bad.message}; nothing written`);
      await rename(tmp, target);
      ok = true;
      return { output: target, bytes: hasher.pos, hashes: { sha256: hashes.sha256 } };
    } finally {
      if (!ok) {
        await fh.close().catch(() => {});
        await rm(tmp, { force: true });
      }
      unregister();
    }
  } catch (e) {
    if (e instanceof RomscopeError) throw e;
    throw new UsageError(`extract failed: ${errorMessage(e)}`);
  } finally {
    await loc?.release();
    await base?.release();
    if (!ok && createdDir) await rm(createdDir, { recursive: true, force: true });
    unregisterDir();
    await src.close();
  }
}
