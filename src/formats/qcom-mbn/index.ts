/**
 * Qualcomm signed images ("MBN" ELF): sbl1, xbl, abl, tz, hyp, rpm, firehose
 * programmers (`prog_*.elf`/`.mbn`), `emmc_appsboot.mbn`... An ELF32/ELF64
 * whose program headers include Qualcomm's hash table segment (./elf,
 * ./hash-segment). The hash table's digest of every segment is checked
 * against the segment's bytes during the walk's single hashing pass
 * (integrity/mbn-segment-hash); the certificate chain is listed, the
 * attestation certificate's OU fields (SW_ID, HW_ID, OEM_ID, MODEL_ID...)
 * shown, and the signature checked as far as romscope can (./signature).
 */
import { createHash } from 'node:crypto';
import type { ContainerHandler, DecodeContext } from '../types';
import type { RangeTap } from '../../io/digest-set';
import { readExact } from '../../io/source';
import { ACCESS_NOTUSED, ACCESS_SHARED, accessType, isPaged, looksLikeQcomSignedElf, parseElfHeader, parseProgramHeaders, phdrProblem, phdrTableSize, segmentType, SEGMENT_TYPE_HASH, type ProgramHeader } from './elf';
import { parseHashSegmentHeader, type HashSegmentLayout } from './hash-segment';
import { checkSignature } from './signature';

/** Real hash segments are a few KiB (two certificate chains at most); a larger one is not read. */
export const MAX_HASH_SEGMENT = 1 << 20;
/** Segment mismatches reported one by one, then counted. */
const MAX_MISMATCHES = 20;

const SEGMENT_TYPES = ['L4', 'AMSS', 'HASH', 'BOOT', 'L4BSP', 'SWAPPED', 'SWAP_POOL', 'PHDR'];
const ACCESS_TYPES = ['RW', 'RO', 'ZI', 'NOTUSED', 'SHARED', '5', '6', '7'];
const PT_NAMES: Record<number, string> = { 0: 'NULL', 1: 'LOAD', 2: 'DYNAMIC', 3: 'INTERP', 4: 'NOTE', 5: 'SHLIB', 6: 'PHDR', 7: 'TLS' };
const MACHINES: Record<number, string> = { 40: 'ARM', 164: 'Hexagon', 183: 'AArch64', 243: 'RISC-V' };
const DIGESTS: Record<number, 'sha1' | 'sha256' | 'sha384'> = { 20: 'sha1', 32: 'sha256', 48: 'sha384' };

const hex = (n: number | bigint) => `0x${n.toString(16)}`;
const isZero = (b: Buffer) => b.every((x) => x === 0);

function describeSegment(p: ProgramHeader) {
  return {
    index: p.index,
    type: PT_NAMES[p.type] ?? hex(p.type),
    offset: p.offset,
    fileSize: p.filesz,
    memSize: Number(p.memsz),
    vaddr: hex(p.vaddr),
    flags: hex(p.flags),
    qcom: `${SEGMENT_TYPES[segmentType(p.flags)]}${p.flags & (7 << 21) ? ` ${ACCESS_TYPES[accessType(p.flags)]}` : ''}${isPaged(p.flags) ? ' paged' : ''}`,
  };
}

/**
 * How the table's digests map onto the program headers: the digest size and
 * whether the hash segment has its (zero) entry. Tried in the order the
 * header version makes likely.
 */
function tableShape(layout: HashSegmentLayout, phnum: number): { size: number; withHashEntry: boolean } | null {
  const sizes = layout.version >= 6 ? [48, 32, 20] : [32, 20, 48];
  for (const size of sizes) {
    if (layout.hashTable.size === phnum * size) return { size, withHashEntry: true };
    if (layout.hashTable.size === (phnum - 1) * size) return { size, withHashEntry: false };
  }
  return null;
}

async function decodeMbn(src: Parameters<ContainerHandler['decode']>[0], ctx: DecodeContext) {
  const info: Record<string, unknown> = {};
  const taps: RangeTap[] = [];
  const h = parseElfHeader(await src.read(0, 64));
  if (typeof h === 'string') {
    ctx.fact({ kind: 'unreadable', message: `not a readable ELF image: ${h}` });
    return { info, children: [] };
  }
  Object.assign(info, { elfClass: `ELF${h.class}`, machine: MACHINES[h.machine] ?? String(h.machine), entry: hex(h.entry), programHeaders: h.phnum });
  const shape = phdrProblem(h);
  if (shape) {
    ctx.fact({ kind: 'unreadable', message: `the ELF program headers cannot be read: ${shape}` });
    return { info, children: [] };
  }
  const ph = parseProgramHeaders(h, await readExact(src, h.phoff, phdrTableSize(h), 'the ELF program headers'));
  if (typeof ph === 'string') {
    ctx.fact({ kind: 'unreadable', message: ph });
    return { info, children: [] };
  }
  info.segments = ph.map(describeSegment);
  const hashPh = ph.find((p) => p.type === 0 && segmentType(p.flags) === SEGMENT_TYPE_HASH);
  if (!hashPh) {
    ctx.fact({ kind: 'unreadable', message: 'no program header is a Qualcomm hash table segment' });
    return { info, children: [] };
  }
  if (hashPh.filesz > MAX_HASH_SEGMENT) {
    ctx.fact({ kind: 'unsupported', message: `the hash table segment claims ${hashPh.filesz} bytes, more than romscope reads (${MAX_HASH_SEGMENT}); nothing in it is checked` });
    return { info, children: [] };
  }
  const seg = await src.read(hashPh.offset, hashPh.filesz);
  if (seg.length < hashPh.filesz) {
    ctx.fact({ kind: 'truncated', message: `the hash table segment (program header ${hashPh.index}) needs bytes ${hashPh.offset}-${hashPh.offset + hashPh.filesz}, the file ends at ${src.size}`, offset: src.size });
    return { info, children: [] };
  }
  const layout = parseHashSegmentHeader(seg);
  if (typeof layout === 'string') {
    ctx.fact({ kind: layout.includes('not one romscope reads') ? 'unsupported' : 'unreadable', message: `${layout}; the segment hashes and the signature are not checked` });
    return { info, children: [] };
  }
  const table = tableShape(layout, ph.length);
  const region = (r: { offset: number; size: number } | null) => (r && r.size ? seg.subarray(r.offset, r.offset + r.size) : null);
  info.hashSegment = {
    version: layout.version,
    ...(layout.imageId === null ? {} : { imageId: layout.imageId }),
    programHeader: hashPh.index,
    hashTableBytes: layout.hashTable.size,
    ...(table ? { digest: DIGESTS[table.size] } : {}),
    ...(layout.commonMetadata ? { commonMetadataBytes: layout.commonMetadata.size } : {}),
    ...(layout.qtiMetadata ? { qtiMetadataBytes: layout.qtiMetadata.size } : {}),
    ...(layout.oemMetadata ? { oemMetadataBytes: layout.oemMetadata.size } : {}),
    ...(layout.qtiSignature ? { qtiSignatureBytes: layout.qtiSignature.size, qtiCertChainBytes: layout.qtiCertChain?.size ?? 0 } : {}),
    oemSignatureBytes: layout.oemSignature.size,
    oemCertChainBytes: layout.oemCertChain.size,
  };

  if (!table) {
    ctx.fact({ kind: 'unsupported', message: `the hash table (${layout.hashTable.size} bytes) does not hold one SHA-1, SHA-256 or SHA-384 digest per program header (${ph.length}); the segment hashes are not checked` });
  } else if (ph.some((p) => p !== hashPh && p.filesz > 0 && isPaged(p.flags))) {
    ctx.fact({ kind: 'unsupported', message: 'the image has paged segments (hashed per 4 KiB page), which romscope does not check; the segment hashes are not checked' });
  } else {
    segmentTaps(src.size, ph, hashPh, seg.subarray(layout.hashTable.offset, layout.hashTable.offset + layout.hashTable.size), table, ctx, info, taps);
  }

  checkSignature(
    {
      layout,
      header: seg.subarray(0, layout.hashTable.offset + layout.hashTable.size),
      signature: region(layout.oemSignature),
      chain: region(layout.oemCertChain),
      qtiSignature: region(layout.qtiSignature),
      qtiChain: region(layout.qtiCertChain),
      digestSize: table?.size ?? null,
    },
    ctx,
    info,
  );
  return { info, children: [], rangeTaps: taps };
}

/** A tap per hashed segment; the verdict when the last one is done. */
function segmentTaps(size: number, ph: ProgramHeader[], hashPh: ProgramHeader, table: Buffer, shape: { size: number; withHashEntry: boolean }, ctx: DecodeContext, info: Record<string, unknown>, taps: RangeTap[]): void {
  const algo = DIGESTS[shape.size];
  const empty = createHash(algo).digest();
  const counts = { checked: 0, failed: 0, notHashed: 0 };
  const report = (p: ProgramHeader, got: string, want: string) => {
    counts.failed++;
    if (counts.failed <= MAX_MISMATCHES) {
      ctx.fact({
        kind: 'mbn-segment-hash',
        message: `segment ${p.index} (${PT_NAMES[p.type] ?? hex(p.type)}, bytes ${p.offset}-${p.offset + p.filesz}): ${algo} is ${got}, the hash table says ${want}`,
        offset: p.offset,
        algo,
        expected: want,
        actual: got,
      });
    }
  };
  const finish = () => {
    if (counts.failed > MAX_MISMATCHES) ctx.fact({ kind: 'mbn-segment-hash', message: `${counts.failed - MAX_MISMATCHES} more segments do not match the hash table (not listed)` });
    else if (counts.failed === 0 && counts.checked > 0) ctx.fact({ kind: 'mbn-segment-hash-ok', message: `the ${algo} of all ${counts.checked} segments with data match the hash table` });
    info.segmentHashes = { algorithm: algo, ...counts };
  };
  let pending = 0;
  let entry = 0;
  const work: { p: ProgramHeader; want: Buffer }[] = [];
  for (const p of ph) {
    if (p === hashPh) {
      if (shape.withHashEntry) entry++;
      continue;
    }
    const want = table.subarray(entry * shape.size, (entry + 1) * shape.size);
    entry++;
    if (p.filesz === 0) {
      if (!isZero(want) && !want.equals(empty)) report(p, empty.toString('hex'), want.toString('hex'));
      continue;
    }
    // Segments the loaders never load (NOTUSED, SHARED) have an all-zero entry.
    if (isZero(want) && (accessType(p.flags) === ACCESS_NOTUSED || accessType(p.flags) === ACCESS_SHARED)) {
      counts.notHashed++;
      continue;
    }
    if (p.offset + p.filesz > size) {
      counts.failed++;
      ctx.fact({ kind: 'truncated', message: `segment ${p.index} needs bytes ${p.offset}-${p.offset + p.filesz}, the file ends at ${size}: the image is cut short`, offset: size });
      continue;
    }
    work.push({ p, want });
  }
  pending = work.length;
  if (pending === 0) finish();
  for (const { p, want } of work) {
    const hash = createHash(algo);
    taps.push({
      start: p.offset,
      end: p.offset + p.filesz,
      update: (b) => hash.update(b),
      done: () => {
        counts.checked++;
        const got = hash.digest('hex');
        if (got !== want.toString('hex')) report(p, got, want.toString('hex'));
        if (--pending === 0) finish();
      },
    });
  }
}

export const qcomMbnHandler: ContainerHandler = {
  id: 'qcom-mbn',
  kind: 'container',
  traits: { role: 'partition-image', confidence: 'magic' },
  description: 'Qualcomm signed ELF image (MBN hash table segment v3/v5/v6/v7): sbl1, xbl, abl, tz, firehose programmers',
  detect: ({ peek }) => looksLikeQcomSignedElf(peek),
  decode: decodeMbn,
};
