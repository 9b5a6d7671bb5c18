/**
 * The LG `.kdz` bench input: a v3 KDZ whose `.dz` holds a `system`
 * partition of zlib chunks (8 MiB each, decoded: half random bytes, half
 * text, so about 2:1; a 1 MiB hole of zeros after each, left out of the
 * chunks as LG's tools leave zero runs out) and a small `boot` partition,
 * written chunk by chunk until the file reaches the size asked for.
 * romscope reads every chunk, checks its MD5 and CRC-32, the header CRC,
 * the chunk headers' MD5 and the data MD5, and hashes every partition; the
 * reference is `sha256sum` of the same file. No more than one chunk is held
 * in memory.
 */
import { closeSync, createReadStream, openSync, statSync, writeSync } from 'node:fs';
import { createHash, randomFillSync } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';
import { join } from 'node:path';
import { buildDz, buildKdz } from '../fixtures/builders/kdz';
import { MiB } from './generate';

const CHUNK = 8 * MiB;
const HOLE = 1 * MiB;
const SECTOR = 4096;
const TEXT = Buffer.alloc(64 * 1024, 'romscope bench: the quick brown fox jumps over the lazy dog 0123456789\n');

function chunkData(): Buffer {
  const b = Buffer.allocUnsafe(CHUNK);
  for (let off = 0; off < CHUNK; off += 128 * 1024) {
    randomFillSync(b.subarray(off, off + 64 * 1024));
    TEXT.copy(b, off + 64 * 1024);
  }
  return b;
}

function writeAt(fd: number, b: Buffer, at: number): void {
  for (let o = 0; o < b.length;) o += writeSync(fd, b, o, b.length - o, at + o);
}

/** `bench.kdz` of about `bytes` bytes in `dir`. */
export async function lgKdz(dir: string, bytes: number): Promise<{ input: string; info: string[] }> {
  const input = join(dir, 'bench.kdz');
  // The KDZ layout for a .dz at a known offset: header, secure partition, the extended memory id, then the .dz.
  const memId = Buffer.from('UFS 128GB\n');
  const probe = buildKdz({ version: 3, files: [], extendedMemId: memId });
  const dzAt = probe.length;
  const fd = openSync(input, 'w');
  try {
    // The .dz: its 512-byte header is written last, once every chunk header is known.
    const headers: Buffer[] = [];
    let at = dzAt + 512;
    let chunks = 0;
    let decoded = 0;
    const put = (partition: string, data: Buffer, startSector: number, sectorCount: number) => {
      const stored = deflateSync(data, { level: 1 });
      // One chunk through the fixture builder gives its 512-byte header.
      const one = buildDz({ chunks: [{ partition, data, startSector, sectorCount, stored }], headerCrc: false, dataMd5: false });
      const hd = one.subarray(512, 1024);
      headers.push(Buffer.from(hd));
      writeAt(fd, hd, at);
      writeAt(fd, stored, at + 512);
      at += 512 + stored.length;
      chunks++;
      decoded += data.length;
    };
    const boot = Buffer.alloc(4 * MiB);
    randomFillSync(boot.subarray(0, 3 * MiB));
    put('boot', boot, 0x100, boot.length / SECTOR);
    for (let sector = 0x8000; at - dzAt < bytes; sector += (CHUNK + HOLE) / SECTOR) put('system', chunkData(), sector, (CHUNK + HOLE) / SECTOR);
    // The header: what buildDz writes for these chunk headers (no data MD5 yet: it covers everything).
    const h = Buffer.from(buildDz({ chunks: [], dataMd5: false }).subarray(0, 512));
    h.writeUInt32LE(chunks, 192);
    createHash('md5').update(Buffer.concat(headers)).digest().copy(h, 196);
    const z = Buffer.from(h);
    z.fill(0, 222, 238);
    z.writeUInt32LE(0, 308);
    h.writeUInt32LE(crc32(z) >>> 0, 308);
    const md5 = createHash('md5').update(h);
    const dzEnd = at;
    for await (const c of createReadStream(input, { start: dzAt + 512, end: dzEnd - 1 })) md5.update(c as Buffer);
    md5.digest().copy(h, 222);
    writeAt(fd, h, dzAt);
    // The .dll after it, then the KDZ header over the whole.
    const dll = Buffer.alloc(64 * 1024, 0x4d);
    writeAt(fd, dll, dzEnd);
    const full = buildKdz({
      version: 3,
      files: [
        { name: 'BENCH.dz', data: Buffer.alloc(0) },
        { name: 'LGUP_c.dll', data: dll },
      ],
      extendedMemId: memId,
    });
    const head = Buffer.from(full.subarray(0, dzAt));
    head.writeBigUInt64LE(BigInt(dzEnd - dzAt), 8 + 256);
    head.writeBigUInt64LE(BigInt(dzAt), 8 + 264);
    head.writeBigUInt64LE(BigInt(dzEnd), 280 + 264);
    writeAt(fd, head, 0);
    return {
      input,
      info: [
        `bench.kdz: v3, a .dz of ${chunks} zlib chunks (level 1) decoding to ${(decoded / MiB).toFixed(0)} MiB (system in 8 MiB chunks with 1 MiB holes, boot), ${(statSync(input).size / MiB).toFixed(1)} MiB on disk`,
      ],
    };
  } finally {
    closeSync(fd);
  }
}
