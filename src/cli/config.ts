/**
 * The configuration file (docs/cli.md#configuration-file): the file given with
 * `--config`, else the first `.romscope.json` found in the current directory
 * or one of its parents, up to the file system root (as ESLint finds its
 * config). ESLint's
 * shape: `{ "rules": { "<rule id>": "off" | "error" | "warning" | "info" } }`.
 * Anything it does not understand (an unknown rule id, a bad level, another
 * top-level key, invalid JSON) is a usage error: a typo must not silently
 * leave a rule on.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../io/errors';
import type { SeverityOverrides } from '../rules/engine';
import type { Severity } from '../report/model';

const CONFIG_FILE = '.romscope.json';

/**
 * A severity as ESLint users write it: `error`, `warning` (or `warn`), `info`,
 * `off`, or ESLint's numbers `2` (error), `1` (warning), `0` (off), as a
 * string or (in a config file) a number. Null when it is none of these.
 */
export function normalizeLevel(v: unknown): Severity | 'off' | null {
  const s = typeof v === 'number' ? String(v) : v;
  if (typeof s !== 'string') return null;
  const m: Record<string, Severity | 'off'> = { error: 'error', '2': 'error', warning: 'warning', warn: 'warning', '1': 'warning', info: 'info', off: 'off', '0': 'off' };
  return Object.prototype.hasOwnProperty.call(m, s) ? m[s] : null;
}

/** The first `.romscope.json` in `cwd` or a directory above it, or null. */
export function findConfig(cwd: string): string | null {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const file = join(dir, CONFIG_FILE);
    if (existsSync(file)) return file;
    if (dirname(dir) === dir) return null;
  }
}

export interface LoadedConfig {
  /** The file read, or null when there is none. */
  file: string | null;
  rules: SeverityOverrides;
}

export function loadConfig(explicit: string | undefined, ruleIds: readonly string[], cwd: string = process.cwd()): LoadedConfig {
  const file = explicit ?? findConfig(cwd);
  if (file === null) return { file: null, rules: {} };
  let text: string;
  try {
    if (statSync(file).isDirectory()) throw new UsageError(`${file}: is a directory, not a config file`);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `${file}: no such config file` : `${file}: cannot read the config file (${code ?? e})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new UsageError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new UsageError(`${file}: the config must be a JSON object like {"rules": {...}}`);
  for (const k of Object.keys(json)) {
    if (k !== 'rules' && k !== '$schema') throw new UsageError(`${file}: unknown key "${k}" (a config has "rules")`);
  }
  const rules = (json as { rules?: unknown }).rules;
  if (rules === undefined) return { file, rules: {} };
  if (!rules || typeof rules !== 'object' || Array.isArray(rules)) throw new UsageError(`${file}: "rules" must be an object of rule id to level`);
  const out: SeverityOverrides = {};
  for (const [id, level] of Object.entries(rules as Record<string, unknown>)) {
    if (!ruleIds.includes(id)) throw new UsageError(`${file}: unknown rule "${id}" (see romscope rules)`);
    const v = normalizeLevel(level);
    if (v === null) throw new UsageError(`${file}: rule "${id}" wants "error", "warning", "info" or "off" (or "warn", 0, 1, 2), got ${JSON.stringify(level)}`);
    out[id] = v;
  }
  return { file, rules: out };
}
