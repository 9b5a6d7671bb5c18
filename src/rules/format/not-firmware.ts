import type { Rule } from '../types';
import { judge, unidentified } from '../../formats/unidentified';
import { terminalSafe } from '../../report/format';

/**
 * Bytes romscope cannot identify at all: an empty file, an HTML error page
 * saved under the firmware's name, a Git LFS pointer, text, random bytes.
 * Never a silent pass: the input always gets a finding; package members get
 * one when they are what a failed download leaves or when their name promises
 * a format they do not have (src/formats/unidentified.ts, `judge`).
 */
const rule: Rule = {
  id: 'format/not-firmware',
  description: 'The input, or a member, is in no format romscope knows: an empty file, an HTML page, a Git LFS pointer, text or unrecognised data',
  defaultSeverity: 'error',
  check(ctx) {
    for (const u of unidentified(ctx.root)) {
      const j = judge(u);
      if (!j) continue;
      const not = j.promise && j.severity === 'error' ? `, not ${j.promise.what}` : u.place === 'input' ? '; romscope does not recognise it as firmware' : '';
      // The description quotes the input (an HTML title): it is cleaned already; the name is made terminal-safe here.
      ctx.report({ path: u.artifact.path, severity: j.severity, message: terminalSafe(`${u.artifact.name} is ${u.description}${not}`) });
    }
  },
};
export default rule;
