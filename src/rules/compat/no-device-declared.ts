import type { Rule } from '../types';
import { isDeclaration } from '../../compat/declarations';
import { isIdentity } from '../../compat/evaluate';
import { flashableEvidence } from '../../compat/flashable';

/**
 * A flashable package (src/compat/flashable.ts: an archive holding a boot
 * image, OTA metadata, a layout, a flash script...) in which nothing names
 * the device it is for. Nothing stops it from being flashed onto the wrong
 * phone, and romscope cannot judge compatibility either. A device tree's
 * `compatible` names a board or SoC many devices share, not the device: it
 * does not count.
 */
const rule: Rule = {
  id: 'compat/no-device-declared',
  description: 'A flashable package in which nothing names or restricts the device it is for',
  defaultSeverity: 'warning',
  check(ctx) {
    for (const { fact } of ctx.facts('declaration')) if (isDeclaration(fact) && isIdentity(fact) && !fact.negated && fact.source !== 'device-tree') return;
    const why = flashableEvidence(ctx.root);
    if (!why) return;
    ctx.report({
      path: '',
      message:
        `this flashable package (it holds ${why}) names no device: no OTA metadata pre-device, updater-script device assert, android-info.txt board, ` +
        'flash-script product check, device or model property, Odin model or scatter platform; nothing stops it from being flashed onto the wrong phone',
    });
  },
};
export default rule;
