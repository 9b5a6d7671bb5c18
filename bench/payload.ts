/**
 * The A/B payload bench input: a real ext4 filesystem image (mkfs.ext4 -d
 * with files from /usr/lib, 640 MiB) cut into 2 MiB REPLACE_XZ operations
 * compressed with `xz -9 --check=none` (what update_engine's generator
 * writes), signed with an RSA-2048 key made here; plus the same image
 * compressed whole with xz, for the `xz -dc` reference, and the operation
 * blobs split into one file per core, for the floor: `xz -dc` of exactly
 * the bytes romscope decodes, on every core. Everything streams
 * through files: the image is never held in memory.
 */
import { createHash, createSign, sign } from 'node:crypto';
import { newRsaKeyPair } from '../fixtures/builders/keys';
import { spawn } from 'node:child_process';
import { closeSync, createReadStream, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readSync, rmSync, statSync, writeSync, copyFileSync, writeFileSync, accessSync, constants } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { encodeManifest, encodeSignatures, payloadHeader, type OpInput } from '../fixtures/builders/payload';

const PAYLOAD_IMAGE_BYTES = 640 * 1024 * 1024;
const CHUNK = 2 * 1024 * 1024;
const BS = 4096;

/** Files of `src` (sorted walk) linked or copied under `dst` until `budget` bytes; returns the bytes taken. */
export function stage(src: string, dst: string, budget: number): number {
  let used = 0;
  const visit = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const n of names) {
      if (used >= budget) return;
      const p = join(dir, n);
      let st;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) visit(p);
      else if (st.isFile() && used + st.size <= budget) {
        try {
          accessSync(p, constants.R_OK);
        } catch {
          continue;
        }
        const to = join(dst, relative(src, p));
        mkdirSync(dirname(to), { recursive: true });
        try {
          linkSync(p, to);
        } catch {
          try {
            copyFileSync(p, to);
          } catch {
            continue;
          }
        }
        used += st.size;
      }
    }
  };
  visit(src);
  return used;
}

function run(argv: string[], opts: { stdin?: string; stdout?: string } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = opts.stdout ? openSync(opts.stdout, 'w') : 'ignore';
    const inp = opts.stdin ? openSync(opts.stdin, 'r') : 'ignore';
    const c = spawn(argv[0], argv.slice(1), { stdio: [inp, out, 'pipe'] });
    let err = '';
    c.stderr?.on('data', (b: Buffer) => (err += b.toString()));
    c.on('error', reject);
    c.on('close', (code) => {
      if (typeof out === 'number') closeSync(out);
      if (typeof inp === 'number') closeSync(inp);
      code === 0 ? resolve() : reject(new Error(`${argv.join(' ')} failed (${code}): ${err}`));
    });
  });
}

/** The ext4 image: /usr/lib as it is when it fits, else the files of /usr/lib that fit in 85% of it. */
export async function buildExt4Image(dir: string, file: string, source = '/usr/lib', bytes = PAYLOAD_IMAGE_BYTES, fill = 0.85): Promise<string> {
  const root = join(dir, 'ext4-root');
  mkdirSync(root);
  const used = stage(source, root, Math.floor(bytes * fill));
  await run(['mkfs.ext4', '-q', '-F', '-d', root, file, `${bytes / 1024 / 1024}M`]);
  return `${(used / 1024 / 1024).toFixed(0)} MiB of files from ${source}`;
}

/** The compressor of chunk `i`: every `zstdEvery`-th chunk (none when 0) is a REPLACE_ZSTD operation (`zstd -19`), the others REPLACE_XZ. */
const isZstd = (i: number, zstdEvery: number) => zstdEvery > 0 && i % zstdEvery === zstdEvery - 1;
const ext = (i: number, zstdEvery: number) => (isZstd(i, zstdEvery) ? 'zst' : 'xz');

/**
 * Writes `payload.bin` (signed) from the image, and the whole image as `.xz`; returns the key file and facts.
 * With `zstdEvery`, every that many chunks one is a REPLACE_ZSTD operation, and the blob files come in pairs (`blobs-N.xz`, `blobs-N.zst`).
 */
export async function buildPayloadBench(dir: string, image: string, preset = '-9', zstdEvery = 0): Promise<{ payload: string; wholeXz: string; blobFiles: string[]; keyFile: string; info: string[] }> {
  const size = statSync(image).size;
  const chunks = Math.ceil(size / CHUNK);
  const pieceDir = join(dir, 'pieces');
  mkdirSync(pieceDir);
  // Compress every chunk, a few at a time.
  const fd = openSync(image, 'r');
  const buf = Buffer.alloc(CHUNK);
  const jobs: Promise<void>[] = [];
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= chunks) return;
      const raw = join(pieceDir, `${i}.raw`);
      const n = readSync(fd, buf, 0, CHUNK, i * CHUNK);
      writeFileSync(raw, buf.subarray(0, n));
      if (isZstd(i, zstdEvery)) await run(['zstd', '-q', '-19', '-c'], { stdin: raw, stdout: join(pieceDir, `${i}.zst`) });
      else await run(['xz', preset, '--check=none', '-c'], { stdin: raw, stdout: join(pieceDir, `${i}.xz`) });
      rmSync(raw);
    }
  };
  for (let k = 0; k < availableParallelism(); k++) jobs.push(worker());
  // The whole image, for the reference.
  const wholeXz = `${image}.xz`;
  jobs.push(run(['xz', preset, `-T${availableParallelism()}`, '-c', image], { stdout: wholeXz }));
  await Promise.all(jobs);
  closeSync(fd);
  // The manifest: one REPLACE_XZ per chunk, blobs back to back.
  const ops: OpInput[] = [];
  let offset = 0;
  const whole = createHash('sha256');
  const rawStream = createReadStream(image);
  for await (const c of rawStream) whole.update(c as Buffer);
  for (let i = 0; i < chunks; i++) {
    const piece = join(pieceDir, `${i}.${ext(i, zstdEvery)}`);
    const blob = statSync(piece).size;
    const h = createHash('sha256');
    for await (const c of createReadStream(piece)) h.update(c as Buffer);
    const blocks = Math.ceil(Math.min(CHUNK, size - i * CHUNK) / BS);
    ops.push({ type: isZstd(i, zstdEvery) ? 14 : 8, dataOffset: offset, dataLength: blob, dataHash: h.digest(), dst: [{ start: (i * CHUNK) / BS, blocks }] });
    offset += blob;
  }
  const { privateKey, publicKey } = newRsaKeyPair(2048);
  const sigLen = encodeSignatures([{ data: Buffer.alloc(256) }]).length;
  const manifest = encodeManifest({ minorVersion: 0, signaturesOffset: offset, signaturesSize: sigLen, partitions: [{ name: 'system', newSize: size, newHash: whole.digest(), operations: ops }] });
  const metadata = Buffer.concat([payloadHeader(manifest.length, sigLen), manifest]);
  const payload = join(dir, 'payload.bin');
  const out = openSync(payload, 'w');
  writeSync(out, metadata);
  writeSync(out, encodeSignatures([{ data: sign('sha256', metadata, privateKey) }]));
  // The payload signature: RSA over SHA-256 of the metadata and the blobs (not the metadata signature).
  const signer = createSign('sha256');
  signer.update(metadata);
  for (let i = 0; i < chunks; i++) {
    for await (const c of createReadStream(join(pieceDir, `${i}.${ext(i, zstdEvery)}`))) {
      signer.update(c as Buffer);
      writeSync(out, c as Buffer);
    }
  }
  writeSync(out, encodeSignatures([{ data: signer.sign(privateKey) }]));
  closeSync(out);
  // The same blobs for the xz -dc floor: one file of back-to-back streams per decode thread.
  const blobFiles: string[] = [];
  const groups = Math.min(8, availableParallelism());
  for (let g = 0; g < groups; g++) {
    for (const kind of zstdEvery > 0 ? ['xz', 'zst'] : ['xz']) {
      const file = join(dir, `blobs-${g}.${kind}`);
      const fd = openSync(file, 'w');
      for (let i = Math.floor((g * chunks) / groups); i < Math.floor(((g + 1) * chunks) / groups); i++) {
        if (ext(i, zstdEvery) === kind) for await (const c of createReadStream(join(pieceDir, `${i}.${kind}`))) writeSync(fd, c as Buffer);
      }
      closeSync(fd);
      blobFiles.push(file);
    }
  }
  rmSync(pieceDir, { recursive: true, force: true });
  const keyFile = join(dir, 'payload-key.pem');
  writeFileSync(keyFile, publicKey.export({ type: 'spki', format: 'pem' }));
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return {
    payload,
    wholeXz,
    blobFiles,
    keyFile,
    info: [
      zstdEvery > 0
        ? `payload.bin: one ${mb(size)} ext4 partition in ${chunks} operations of 2 MiB, one in ${zstdEvery} REPLACE_ZSTD (zstd -19), the others REPLACE_XZ (xz ${preset} --check=none), signed; ${mb(statSync(payload).size)} on disk`
        : `payload.bin: one ${mb(size)} ext4 partition in ${chunks} REPLACE_XZ operations (xz ${preset} --check=none per 2 MiB), signed; ${mb(statSync(payload).size)} on disk`,
      `${image.split('/').pop()}.xz: the same image compressed whole (xz ${preset}), ${mb(statSync(wholeXz).size)}`,
      `blobs-*.${zstdEvery > 0 ? '{xz,zst}' : 'xz'}: the payload's ${chunks} operation blobs in ${groups} ${zstdEvery > 0 ? 'pairs of files' : 'files'} of back-to-back streams (the same bytes romscope decodes, one ${zstdEvery > 0 ? 'pair' : 'file'} per core)`,
    ],
  };
}
