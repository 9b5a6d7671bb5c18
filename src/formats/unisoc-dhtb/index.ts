/**
 * Unisoc (Spreadtrum) signed image (`fdl1-sign.bin`, `u-boot-sign.bin`,
 * `sml-sign.bin`, `boot.img` of secure-boot devices): a 512-byte header,
 * little-endian: magic `DHTB`, u32 version, the payload's SHA-256 (32
 * bytes; zero when the signing tool left it out), u64 load address, u32
 * payload size; then the payload, then the signature block the tool
 * appends (certificates and RSA signature, not verified: the root key is
 * in the SoC). A non-zero hash is checked against the payload in the
 * image's hashing pass (integrity/image-checksum). The payload is the
 * child `payload`; the size of the signature block after it is in info.
 */
import type { ChildSpec, ContainerHandler, RangeDigestRequest } from '../types';
import { SliceSource } from '../../io/source';
import { sha256Check } from '../image-checksum';

const HEADER = 512;

export const unisocDhtbHandler: ContainerHandler = {
  id: 'unisoc-dhtb',
  kind: 'container',
  description: 'Unisoc (Spreadtrum) DHTB-signed image: header with payload size and SHA-256, payload, signature',
  traits: { role: 'partition-image', confidence: 'magic', avbFooter: true },
  detect: ({ peek }) => peek.length >= 52 && peek.toString('latin1', 0, 4) === 'DHTB',
  async decode(src, ctx) {
    const h = await src.read(0, 52);
    const hash = h.subarray(8, 40);
    const payloadSize = h.readUInt32LE(48);
    const hashSet = hash.some((b) => b !== 0);
    const info: Record<string, unknown> = {
      version: h.readUInt32LE(4),
      payloadSha256: hashSet ? hash.toString('hex') : null,
      loadAddress: `0x${h.readBigUInt64LE(40).toString(16)}`,
      payloadSize,
    };
    if (!hashSet) info.note = 'the header carries no payload hash (all zero): only the signature, which needs the SoC key, covers the payload';
    const end = HEADER + payloadSize;
    const children: ChildSpec[] = [{ name: 'payload', source: new SliceSource(src, HEADER, payloadSize, 'payload') }];
    const rangeDigests: RangeDigestRequest[] = [];
    if (end > src.size) ctx.fact({ kind: 'truncated', message: `the DHTB header gives a ${payloadSize}-byte payload after its 512 bytes, the file has ${src.size}`, offset: 48 });
    else {
      if (hashSet) rangeDigests.push(sha256Check(ctx, HEADER, end, hash.toString('hex'), "the DHTB header's payload SHA-256", 8));
      if (src.size > end) info.signatureBytes = src.size - end;
    }
    return { info, children, rangeDigests };
  },
};
