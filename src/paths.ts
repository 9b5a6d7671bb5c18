/**
 * Where the compiled sources live at run time, for the files the code starts
 * or reads by path (worker scripts, child processes, the rule doc pages).
 *
 * This module compiles to dist/src/paths.js, and the CLI bundle
 * (scripts/bundle.ts) is written to dist/src/ too, so `__dirname` is
 * dist/src in both: a path built from SRC_DIR is right whether the code runs
 * from the separate modules or from the bundle. A module's own `__dirname`
 * is not (inside the bundle it is the bundle's folder).
 */
import { join } from 'node:path';

/** dist/src: the compiled sources' root. */
export const SRC_DIR = __dirname;

/** A compiled file under dist/src, by its path from there (`srcFile('io', 'hash-worker.js')`). */
export function srcFile(...parts: string[]): string {
  return join(SRC_DIR, ...parts);
}
