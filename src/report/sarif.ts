/**
 * The report as SARIF 2.1.0 (OASIS Static Analysis Results Interchange
 * Format), for code-scanning tools and CI dashboards (docs/report-format.md#sarif).
 * A pure function of the report and the rule list: one run; every registered
 * rule in `tool.driver.rules` with its description, default level and doc
 * page (on the project's repository; the full description is the page's
 * first paragraph, read from the installed docs/); one result per finding, located on the input file, with the artifact
 * path inside it as a logical location.
 */
import { SARIF_FINGERPRINT_KEY } from './baseline';
import { readFileSync } from 'node:fs';
import { isAbsolute, join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Report, Severity } from './model';
import type { Rule } from '../rules/types';
import { RULE_DOCS_BASE_URI } from '../project';
import { srcFile } from '../paths';

const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';

export interface SarifOptions {
  /** Registered rules, in registry order (`RULES`). */
  rules: readonly Pick<Rule, 'id' | 'description' | 'defaultSeverity'>[];
  /**
   * Absolute URI the rule pages hang under (`<base><area>/<name>.md`), for a
   * fork or a mirror. Default: this version's docs/rules/ on the project's
   * repository (`RULE_DOCS_BASE_URI`).
   */
  docsBaseUri?: string;
}

/** The installed package's docs/rules/ (shipped in the package: `files` in package.json). */
function docsDir(): string {
  // dist/src is two levels under the package root.
  return srcFile('..', '..', 'docs', 'rules');
}

const fullDescriptions = new Map<string, string | null>();

/**
 * The first paragraph under "What it detects" of a rule's doc page, as one
 * line of plain text (Markdown links reduced to their text); null when the
 * page cannot be read.
 */
export function ruleFullDescription(ruleId: string): string | null {
  let d = fullDescriptions.get(ruleId);
  if (d !== undefined) return d;
  d = null;
  try {
    const text = readFileSync(join(docsDir(), ...ruleId.split('/')) + '.md', 'utf8');
    const lines = text.split(/\r?\n/);
    const at = lines.findIndex((l) => /^##\s+What it detects/.test(l));
    if (at >= 0) {
      const para: string[] = [];
      let i = at + 1;
      for (; i < lines.length; i++) {
        const l = lines[i];
        if (l.trim() === '') {
          if (para.length) break;
          continue;
        }
        if (l.startsWith('#')) break;
        para.push(l.trim());
      }
      // A paragraph that introduces a list ("It reports:") takes the list with it.
      if (para.length && para[para.length - 1].endsWith(':')) {
        while (i < lines.length && lines[i].trim() === '') i++;
        for (; i < lines.length && lines[i].trim() !== ''; i++) para.push(lines[i].trim());
      }
      if (para.length) d = para.join(' ').replace(/\[([^\]]+)\]\([^)]*\)/g, '$1');
    }
  } catch {
    d = null;
  }
  fullDescriptions.set(ruleId, d);
  return d;
}

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

/** The input path as a URI reference: a file: URI when absolute, a relative reference otherwise. */
function inputUri(path: string): string {
  if (isAbsolute(path)) return pathToFileURL(path).href;
  return path
    .split(sep)
    .join('/')
    .replace(/^(\.\/)+/, '')
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}

export function renderSarif(r: Report, o: SarifOptions): string {
  const base = o.docsBaseUri === undefined ? RULE_DOCS_BASE_URI : o.docsBaseUri.endsWith('/') ? o.docsBaseUri : `${o.docsBaseUri}/`;
  const index = new Map(o.rules.map((rule, i) => [rule.id, i]));
  const uri = inputUri(r.input.path);
  const hashes: Record<string, string> = {};
  const h = r.root.hashes;
  if (h.md5) hashes.md5 = h.md5;
  if (h.sha1) hashes['sha-1'] = h.sha1;
  if (h.sha256) hashes['sha-256'] = h.sha256;
  const log = {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: r.tool.name,
            version: r.tool.version,
            semanticVersion: r.tool.version,
            rules: o.rules.map((rule) => ({
              id: rule.id,
              shortDescription: { text: rule.description },
              fullDescription: { text: ruleFullDescription(rule.id) ?? rule.description },
              helpUri: base + rule.id.split('/').map(encodeURIComponent).join('/') + '.md',
              defaultConfiguration: { level: LEVEL[rule.defaultSeverity] },
              properties: { tags: [rule.id.split('/')[0]] },
            })),
          },
        },
        artifacts: [{ location: { uri }, length: r.input.size, ...(Object.keys(hashes).length ? { hashes } : {}) }],
        results: r.findings.map((f) => {
          const ruleIndex = index.get(f.ruleId);
          const onRoot = f.path === '';
          return {
            ruleId: f.ruleId,
            ...(ruleIndex === undefined ? {} : { ruleIndex }),
            level: LEVEL[f.severity],
            message: { text: onRoot ? f.message : `${f.path}: ${f.message}` },
            locations: [
              {
                physicalLocation: {
                  artifactLocation: { uri, index: 0 },
                  // Code scanning needs a line; a finding inside a member of the package is shown on the package's first line.
                  region: { startLine: onRoot && f.line !== undefined ? f.line : 1 },
                },
                ...(onRoot ? {} : { logicalLocations: [{ fullyQualifiedName: f.path, kind: 'resource' }] }),
              },
            ],
            partialFingerprints: { [SARIF_FINGERPRINT_KEY]: f.fingerprint },
            ...(f.baselineState ? { baselineState: f.baselineState } : {}),
            properties: {
              artifactPath: f.path,
              ...(f.offset === undefined ? {} : { offset: f.offset }),
              ...(f.line === undefined ? {} : { line: f.line }),
            },
          };
        }),
        properties: { romscope: { schemaVersion: r.schemaVersion, summary: r.summary } },
      },
    ],
  };
  return JSON.stringify(log, (_k, v: unknown) => (v === undefined ? undefined : typeof v === 'bigint' ? v.toString() : v), 2);
}
