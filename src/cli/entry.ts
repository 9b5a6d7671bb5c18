/**
 * What bin/romscope.js needs, from one module: the CLI's bundle
 * (scripts/bundle.ts) is built from this file, and the bin falls back to it
 * as a plain module when there is no bundle.
 */
export { main } from './main';
export { finish } from './output';
export { terminalSafe } from '../report/format';
/** Exported so the tests can see where the bundle finds the worker scripts. */
export { SRC_DIR } from '../paths';
