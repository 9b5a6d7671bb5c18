#!/usr/bin/env node
'use strict';
let main;
try {
  ({ main } = require('../dist/src/cli/main.js'));
} catch {
  process.stderr.write('romscope: not built yet; run `npm install` (or `npm run build`) in the romscope folder\n');
  process.exit(2);
}
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`romscope: ${e && e.message ? e.message : e}\n`);
    process.exit(2);
  },
);
