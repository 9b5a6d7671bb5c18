#!/usr/bin/env node
'use strict';
let main, finish, terminalSafe;
try {
  ({ main } = require('../dist/src/cli/main.js'));
  ({ finish } = require('../dist/src/cli/output.js'));
  ({ terminalSafe } = require('../dist/src/report/format.js'));
} catch {
  process.stderr.write('romscope: not built yet; run `npm install` (or `npm run build`) in the romscope folder\n');
  process.exit(2);
}
// finish() waits until stdout and stderr have drained (a pipe takes them
// asynchronously) before exiting, and exits 2 when stdout could not be written.
main(process.argv.slice(2)).then(
  (code) => finish(code),
  (e) => {
    process.stderr.write(`romscope: ${terminalSafe(String(e && e.message ? e.message : e))}\n`);
    return finish(2);
  },
);
