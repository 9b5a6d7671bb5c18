import { ruleTester } from '../harness';
import { signedVbmeta, bootHash } from '../avb-cases';

/** What `fastboot --disable-verity --disable-verification` does: OR the flags byte after signing. */
function patched(flags: number): Buffer {
  const b = signedVbmeta([bootHash()]);
  b[123] |= flags;
  return b;
}

ruleTester('signature/avb-verification-disabled', {
  valid: [
    { name: 'flags 0', file: 'vbmeta.img', build: () => signedVbmeta([bootHash()]) },
    { name: 'an unsigned vbmeta with flags 0', file: 'vbmeta.img', build: () => signedVbmeta([], { algorithm: 'NONE' }) },
  ],
  invalid: [
    { name: 'signed with --flags 2 (verification disabled)', file: 'vbmeta.img', build: () => signedVbmeta([bootHash()], { flags: 2 }), errors: [{ path: '', message: 'flags 0x2 (verification-disabled)' }] },
    { name: 'dm-verity disabled by fastboot after signing (the signature no longer verifies either)', file: 'vbmeta.img', build: () => patched(1), errors: [{ path: '', message: 'flags 0x1 (hashtree-disabled)' }] },
    {
      name: 'both, the usual "disabled vbmeta"',
      file: 'vbmeta.img',
      build: () => signedVbmeta([], { algorithm: 'NONE', flags: 3 }),
      errors: [{ path: '', message: 'flags 0x3 (hashtree-disabled, verification-disabled)' }],
    },
  ],
});
