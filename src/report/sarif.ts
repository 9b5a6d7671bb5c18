/**
 * The report as SARIF 2.1.0 (OASIS Static Analysis Results Interchange
 * Format), for code-scanning tools and CI dashboards (docs/report-format.md#sarif).
 * A pure function of the report and the rule list: one run; every registered
 * rule in `tool.driver.rules` with its description, default level and doc
 * page; one result per finding, located on the input file, with the artifact
 * path inside it as a logical location.
 */
import { createHash } from 'node:crypto';
import { isAbsolute, join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Report, Severity } from './model';
import type { Rule } from '../rules/types';

const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';

export interface SarifOptions {
  /** Registered rules, in registry order (`RULES`). */
  rules: readonly Pick<Rule, 'id' | 'description' | 'defaultSeverity'>[];
  /**
   * Absolute URI the rule pages hang under (`<base><area>/<name>.md`). Default:
   * the docs/rules/ directory shipped with romscope, as a file: URI.
   */
  docsBaseUri?: string;
}

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

/** The docs/rules/ directory of this installation, as a file: URI ending in `/`. */
function defaultDocsBaseUri(): string {
  // Compiled to dist/src/report/sarif.js: the package root is three levels up.
  return pathToFileURL(join(__dirname, '..', '..', '..', 'docs', 'rules') + sep).href;
}

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
  const base = o.docsBaseUri ?? defaultDocsBaseUri();
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
              fullDescription: { text: rule.description },
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
            partialFingerprints: {
              'romscopeFinding/v1': createHash('sha256').update(`${f.ruleId}\0${f.path}\0${f.message}`).digest('hex').slice(0, 32),
            },
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
