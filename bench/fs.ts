/**
 * Inputs for the file-system extract cases: one tree of real files (a
 * build.prop and a few hundred MiB from /usr/lib under /system), made into a
 * 2 GiB ext4 image (`mkfs.ext4 -d`, mostly free space) and an EROFS image
 * (`mkfs.erofs -zlz4hc`, padded with zeros to the same 2 GiB partition size,
 * as a dump of the partition or an image padded for its AVB footer is), each
 * then wrapped two ways: an Android sparse image (`img2simg`) and an A/B OTA
 * zip whose payload.bin holds the image as delta_generator writes a full
 * payload (ZERO operations for the empty 2 MiB chunks, REPLACE_XZ for the
 * others, signed with a key made here). Everything streams through files.
 */
import { createHash, createSign, sign } from 'node:crypto';
import { spawn } from 'node:child_process';
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readFileSync, readSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { newRsaKeyPair } from '../fixtures/builders/keys';
import { encodeManifest, encodeSignatures, payloadHeader, OP, type OpInput } from '../fixtures/builders/payload';
import { stage } from './payload';

const MiB = 1024 * 1024;
const BS = 4096;
/** One payload operation's worth of the image, as delta_generator cuts a full payload. */
const CHUNK = 2 * MiB;
/** Where build.prop sits in both images (system-as-root layout). */
export const BUILD_PROP = '/system/build.prop';

export type FsKind = 'ext4' | 'erofs';

/** Partition size: BENCH_FS_MB (default 2048) MiB. */
export function fsImageBytes(): number {
  const raw = process.env.BENCH_FS_MB;
  const n = raw ? Number(raw) : 2048;
  if (!Number.isInteger(n) || n < 64) throw new Error(`BENCH_FS_MB must be a whole number of MiB, at least 64, got "${raw}"`);
  return n * MiB;
}

/** Files copied into the tree: BENCH_FS_FILES_MB (default 256) MiB, at most 1/4 of the partition. */
function filesBudget(imageBytes: number): number {
  const raw = process.env.BENCH_FS_FILES_MB;
  const n = raw ? Number(raw) : 256;
  return Math.min(Math.max(1, n) * MiB, Math.floor(imageBytes / 4));
}

function run(argv: string[], opts: { stdin?: string; stdout?: string } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = opts.stdout ? openSync(opts.stdout, 'w') : 'ignore';
    const inp = opts.stdin ? openSync(opts.stdin, 'r') : 'ignore';
    const c = spawn(argv[0], argv.slice(1), { stdio: [inp, out, 'pipe'] });
    let err = '';
    c.stderr?.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-4096)));
    c.on('error', reject);
    c.on('close', (code) => {
      if (typeof out === 'number') closeSync(out);
      if (typeof inp === 'number') closeSync(inp);
      code === 0 ? resolve() : reject(new Error(`${argv.join(' ')} failed (${code}): ${err}`));
    });
  });
}

/** A build.prop as a real system image carries (about 3 KiB). */
function buildProp(): string {
  const lines = [
    '# begin common build properties',
    'ro.system.build.date=Thu Dec  3 12:00:00 UTC 2026',
    'ro.system.build.date.utc=1796299200',
    'ro.system.build.fingerprint=romscope/bench/bench:14/UQ1A.240105.004/11206848:user/release-keys',
    'ro.system.build.id=UQ1A.240105.004',
    'ro.system.build.tags=release-keys',
    'ro.system.build.type=user',
    'ro.system.build.version.incremental=11206848',
    'ro.system.build.version.release=14',
    'ro.system.build.version.sdk=34',
    'ro.product.system.brand=romscope',
    'ro.product.system.device=bench',
    'ro.product.system.manufacturer=romscope',
    'ro.product.system.model=Bench Phone',
    'ro.product.system.name=bench',
    '# end common build properties',
    '# begin build properties',
    'ro.build.id=UQ1A.240105.004',
    'ro.build.display.id=UQ1A.240105.004 release-keys',
    'ro.build.version.incremental=11206848',
    'ro.build.version.sdk=34',
    'ro.build.version.release=14',
    'ro.build.version.security_patch=2024-01-05',
    'ro.build.type=user',
    'ro.build.tags=release-keys',
    'ro.build.flavor=bench-user',
    'ro.build.fingerprint=romscope/bench/bench:14/UQ1A.240105.004/11206848:user/release-keys',
    'ro.product.cpu.abilist=arm64-v8a',
    '# end build properties',
  ];
  for (let i = 0; i < 60; i++) lines.push(`persist.sys.bench.filler${i}=${'x'.repeat(20)}`);
  return lines.join('\n') + '\n';
}

/** The staged tree under `dir`, made once; returns its description. */
async function tree(dir: string, imageBytes: number): Promise<{ root: string; info: string }> {
  const root = join(dir, 'fs-root');
  const marker = join(dir, 'fs-root.info');
  if (existsSync(marker)) return { root, info: readFileSync(marker, 'utf8') };
  mkdirSync(join(root, 'system', 'etc'), { recursive: true });
  writeFileSync(join(root, 'system', 'build.prop'), buildProp());
  const used = stage('/usr/lib', join(root, 'system', 'lib'), filesBudget(imageBytes));
  const info = `${(used / MiB).toFixed(0)} MiB of files from /usr/lib under /system/lib, and a ${buildProp().length}-byte ${BUILD_PROP}`;
  writeFileSync(marker, info);
  return { root, info };
}

/** The raw image (made once per kind, kept until the bench's temp dir goes); returns its path and facts. */
export async function rawImage(dir: string, kind: FsKind): Promise<{ image: string; info: string[] }> {
  const bytes = fsImageBytes();
  const t = await tree(dir, bytes);
  const image = join(dir, `system-${kind}.img`);
  const mb = `${bytes / MiB} MiB`;
  if (kind === 'ext4') {
    if (!existsSync(image)) await run(['mkfs.ext4', '-q', '-F', '-b', '4096', '-L', 'system', '-d', t.root, image, `${bytes / 1024}k`]);
    return { image, info: [`system-ext4.img: mkfs.ext4 -d (default features, metadata_csum), ${mb} with ${t.info}`] };
  }
  if (!existsSync(image)) {
    await run(['mkfs.erofs', '-zlz4hc', image, t.root]);
    const fsBytes = statSync(image).size;
    if (fsBytes > bytes) throw new Error(`the EROFS image (${fsBytes} bytes) is larger than the ${mb} partition`);
    truncateSync(image, bytes);
    writeFileSync(`${image}.fsbytes`, String(fsBytes));
  }
  const fsBytes = Number(readFileSync(`${image}.fsbytes`, 'utf8'));
  return { image, info: [`system-erofs.img: mkfs.erofs -zlz4hc of ${t.info}: ${(fsBytes / MiB).toFixed(1)} MiB of EROFS, zero-padded to a ${mb} partition`] };
}

/** `img2simg` of the raw image. */
export async function sparseImage(dir: string, kind: FsKind): Promise<{ input: string; info: string[] }> {
  const { image, info } = await rawImage(dir, kind);
  const input = join(dir, `system-${kind}.simg`);
  await run(['img2simg', image, input]);
  return { input, info: [...info, `system-${kind}.simg: img2simg of it, ${(statSync(input).size / MiB).toFixed(1)} MiB on disk`] };
}

function isZero(b: Buffer): boolean {
  // Compare 8 bytes at a time; CHUNK is a multiple of 8.
  for (let i = 0; i < b.length; i += 8) if (b.readBigUInt64LE(i) !== 0n) return false;
  return true;
}

/**
 * An A/B OTA zip (`zip -0`: metadata, payload.bin, payload_properties.txt)
 * whose payload holds the raw image as partition `system`.
 */
export async function otaZip(dir: string, kind: FsKind, preset = process.env.BENCH_FS_XZ_PRESET ?? '-6'): Promise<{ input: string; info: string[]; partition: string }> {
  const { image, info } = await rawImage(dir, kind);
  const size = statSync(image).size;
  const chunks = Math.ceil(size / CHUNK);
  const work = join(dir, `ota-${kind}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, 'META-INF', 'com', 'android'), { recursive: true });
  const pieces = join(work, 'pieces');
  mkdirSync(pieces);
  // Pass 1: which chunks hold data, and the whole image's SHA-256.
  const fd = openSync(image, 'r');
  const whole = createHash('sha256');
  const data: boolean[] = [];
  const buf = Buffer.alloc(CHUNK);
  for (let i = 0; i < chunks; i++) {
    const n = readSync(fd, buf, 0, CHUNK, i * CHUNK);
    whole.update(buf.subarray(0, n));
    data.push(!isZero(buf.subarray(0, n)));
  }
  // Pass 2: compress the data chunks, one xz per core.
  const todo = data.flatMap((d, i) => (d ? [i] : []));
  let next = 0;
  const worker = async () => {
    const own = Buffer.alloc(CHUNK);
    for (;;) {
      const i = todo[next++];
      if (i === undefined) return;
      const raw = join(pieces, `${i}.raw`);
      const n = readSync(fd, own, 0, CHUNK, i * CHUNK);
      writeFileSync(raw, own.subarray(0, n));
      await run(['xz', preset, '--check=none', '-c'], { stdin: raw, stdout: join(pieces, `${i}.xz`) });
      rmSync(raw);
    }
  };
  await Promise.all(Array.from({ length: availableParallelism() }, worker));
  closeSync(fd);
  // The manifest: runs of empty chunks as one ZERO operation each, a REPLACE_XZ per data chunk.
  const ops: OpInput[] = [];
  let offset = 0;
  let zeroStart = -1;
  const blocksOf = (i: number) => Math.ceil(Math.min(CHUNK, size - i * CHUNK) / BS);
  const flushZero = (end: number) => {
    if (zeroStart < 0) return;
    let blocks = 0;
    for (let j = zeroStart; j < end; j++) blocks += blocksOf(j);
    ops.push({ type: OP.ZERO, dst: [{ start: (zeroStart * CHUNK) / BS, blocks }] });
    zeroStart = -1;
  };
  for (let i = 0; i < chunks; i++) {
    if (!data[i]) {
      if (zeroStart < 0) zeroStart = i;
      continue;
    }
    flushZero(i);
    const file = join(pieces, `${i}.xz`);
    const length = statSync(file).size;
    const h = createHash('sha256');
    for await (const c of createReadStream(file)) h.update(c as Buffer);
    ops.push({ type: OP.REPLACE_XZ, dataOffset: offset, dataLength: length, dataHash: h.digest(), dst: [{ start: (i * CHUNK) / BS, blocks: blocksOf(i) }] });
    offset += length;
  }
  flushZero(chunks);
  const { privateKey, publicKey } = newRsaKeyPair(2048);
  const sigLen = encodeSignatures([{ data: Buffer.alloc(256) }]).length;
  const manifest = encodeManifest({
    minorVersion: 0,
    signaturesOffset: offset,
    signaturesSize: sigLen,
    maxTimestamp: 1796299200,
    partitions: [{ name: 'system', newSize: size, newHash: whole.digest(), operations: ops }],
  });
  const metadata = Buffer.concat([payloadHeader(manifest.length, sigLen), manifest]);
  const payload = join(work, 'payload.bin');
  const out = openSync(payload, 'w');
  const fileHash = createHash('sha256');
  const put = (b: Buffer) => {
    writeSync(out, b);
    fileHash.update(b);
  };
  put(metadata);
  put(encodeSignatures([{ data: sign('sha256', metadata, privateKey) }]));
  const signer = createSign('sha256');
  signer.update(metadata);
  for (let i = 0; i < chunks; i++) {
    if (!data[i]) continue;
    for await (const c of createReadStream(join(pieces, `${i}.xz`))) {
      signer.update(c as Buffer);
      put(c as Buffer);
    }
  }
  put(encodeSignatures([{ data: signer.sign(privateKey) }]));
  closeSync(out);
  rmSync(pieces, { recursive: true, force: true });
  const payloadSize = statSync(payload).size;
  const b64 = (b: Buffer) => b.toString('base64');
  writeFileSync(
    join(work, 'payload_properties.txt'),
    [`FILE_HASH=${b64(fileHash.digest())}`, `FILE_SIZE=${payloadSize}`, `METADATA_HASH=${b64(createHash('sha256').update(metadata).digest())}`, `METADATA_SIZE=${metadata.length}`, ''].join('\n'),
  );
  writeFileSync(join(work, 'META-INF', 'com', 'android', 'metadata'), 'ota-type=AB\npre-device=bench\npost-build=romscope/bench/bench:14/UQ1A.240105.004/11206848:user/release-keys\npost-timestamp=1796299200\n');
  const input = join(dir, `ota-${kind}.zip`);
  rmSync(input, { force: true });
  await runIn(work, ['zip', '-0', '-q', '-X', input, 'META-INF/com/android/metadata', 'payload.bin', 'payload_properties.txt']);
  rmSync(work, { recursive: true, force: true });
  writeFileSync(join(dir, `ota-${kind}.pem`), publicKey.export({ type: 'spki', format: 'pem' }));
  const replace = todo.length;
  return {
    input,
    partition: 'system',
    info: [
      ...info,
      `ota-${kind}.zip: a stored zip holding payload.bin (partition system: ${replace} REPLACE_XZ operations of 2 MiB, xz ${preset} --check=none, and ${ops.length - replace} ZERO operations for the empty rest; signed), ${(statSync(input).size / MiB).toFixed(1)} MiB`,
    ],
  };
}

function runIn(cwd: string, argv: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(argv[0], argv.slice(1), { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr?.on('data', (b: Buffer) => (err += b.toString()));
    c.on('error', reject);
    c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${argv.join(' ')} failed (${code}): ${err}`))));
  });
}
