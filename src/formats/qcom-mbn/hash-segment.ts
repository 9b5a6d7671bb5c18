/**
 * The hash table segment of a Qualcomm signed ELF ("MBN"): a header, then
 * regions in this order (Qualcomm's "Secure Boot and Image Authentication"
 * overviews v1.0/v2.0; qtestsign's fw/hashseg.py; coreboot's
 * util/qualcomm/mbn_tools.py), all sizes 32-bit little-endian:
 *
 * - v3 (40 bytes: image_id, version, image_src, image_dest_ptr, image_size,
 *   code_size = hash table size, signature_ptr, signature_size,
 *   cert_chain_ptr, cert_chain_size): hash table, signature, certificate chain;
 * - v5 (40 bytes: image_id, version, qti_signature_size, qti_cert_chain_size,
 *   image_size, code_size, signature_ptr, signature_size, cert_chain_ptr,
 *   cert_chain_size): hash table, QTI signature, QTI chain, OEM signature, OEM chain;
 * - v6 (48 bytes: v5, then qti_metadata_size, oem metadata_size): QTI
 *   metadata, OEM metadata, then as v5;
 * - v7 (40 bytes: reserved, version, common_metadata_size,
 *   qti_metadata_size, oem_metadata_size, hash_table_size,
 *   qti_signature_size, qti_cert_chain_size, oem_signature_size,
 *   oem_cert_chain_size): common metadata, the two metadata blocks, hash
 *   table, QTI signature and chain, OEM signature and chain.
 *
 * The hash table holds one digest per program header, in program header
 * order (SHA-1 in old v3 images, SHA-256 in v3/v5, SHA-384 from v6 on): the
 * ELF header and program headers (the PHDR placeholder segment), the hash
 * segment itself (all zeros), then every other segment; a segment with no
 * bytes in the file has an all-zero digest.
 */

export interface Region {
  /** Offset inside the hash segment. */
  offset: number;
  size: number;
}

export interface HashSegmentLayout {
  version: number;
  headerSize: number;
  imageId: number | null;
  commonMetadata: Region | null;
  qtiMetadata: Region | null;
  oemMetadata: Region | null;
  hashTable: Region;
  qtiSignature: Region | null;
  qtiCertChain: Region | null;
  oemSignature: Region;
  oemCertChain: Region;
}

export const SUPPORTED_VERSIONS = [3, 5, 6, 7];

/** The layout of a hash segment's regions, or why it cannot be read. */
export function parseHashSegmentHeader(seg: Buffer): HashSegmentLayout | string {
  if (seg.length < 40) return `the hash segment has ${seg.length} bytes, fewer than its 40-byte header`;
  const f = (i: number) => seg.readUInt32LE(i * 4);
  const version = f(1);
  if (!SUPPORTED_VERSIONS.includes(version)) return `hash segment header version ${version} is not one romscope reads (3, 5, 6, 7)`;
  if (version === 6 && seg.length < 48) return 'the hash segment is shorter than its 48-byte v6 header';
  const headerSize = version === 6 ? 48 : 40;
  // Sizes in header order, then laid out one after another.
  let at = headerSize;
  const next = (size: number): Region => {
    const r = { offset: at, size };
    at += size;
    return r;
  };
  let out: HashSegmentLayout;
  if (version === 3) {
    const hashTable = next(f(5));
    out = { version, headerSize, imageId: f(0), commonMetadata: null, qtiMetadata: null, oemMetadata: null, hashTable, qtiSignature: null, qtiCertChain: null, oemSignature: next(f(7)), oemCertChain: next(f(9)) };
  } else if (version === 5 || version === 6) {
    const qtiMetadata = version === 6 ? next(f(10)) : null;
    const oemMetadata = version === 6 ? next(f(11)) : null;
    const hashTable = next(f(5));
    const qtiSignature = next(f(2));
    const qtiCertChain = next(f(3));
    out = { version, headerSize, imageId: f(0), commonMetadata: null, qtiMetadata, oemMetadata, hashTable, qtiSignature, qtiCertChain, oemSignature: next(f(7)), oemCertChain: next(f(9)) };
  } else {
    const commonMetadata = next(f(2));
    const qtiMetadata = next(f(3));
    const oemMetadata = next(f(4));
    const hashTable = next(f(5));
    const qtiSignature = next(f(6));
    const qtiCertChain = next(f(7));
    out = { version, headerSize, imageId: null, commonMetadata, qtiMetadata, oemMetadata, hashTable, qtiSignature, qtiCertChain, oemSignature: next(f(8)), oemCertChain: next(f(9)) };
  }
  if (at > seg.length) return `the v${version} header's regions need ${at} bytes, the hash segment has ${seg.length}`;
  return out;
}

/** DER certificates laid end to end (a chain region), up to padding (0xff) or `max`. */
export function splitDerChain(b: Buffer, max: number): { certs: Buffer[]; problem?: string } {
  const certs: Buffer[] = [];
  let i = 0;
  while (i + 4 <= b.length && b[i] === 0x30 && certs.length < max) {
    let len: number;
    let hdr: number;
    if (b[i + 1] < 0x80) [len, hdr] = [b[i + 1], 2];
    else if (b[i + 1] === 0x81) [len, hdr] = [b[i + 2], 3];
    else if (b[i + 1] === 0x82) [len, hdr] = [b.readUInt16BE(i + 2), 4];
    else if (b[i + 1] === 0x83 && i + 5 <= b.length) [len, hdr] = [b.readUIntBE(i + 2, 3), 5];
    else return { certs, problem: `certificate ${certs.length + 1} has a length form romscope does not read` };
    if (i + hdr + len > b.length) return { certs, problem: `certificate ${certs.length + 1} runs past the end of the chain (${i + hdr + len} of ${b.length} bytes)` };
    certs.push(b.subarray(i, i + hdr + len));
    i += hdr + len;
  }
  return { certs };
}
