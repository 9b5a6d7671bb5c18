/**
 * Worker thread of the payload decode pool (pool.ts): decompresses one
 * operation blob per message and hands the output back without copying it.
 */
import { parentPort } from 'node:worker_threads';
import { readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { crc32, inflateSync } from 'node:zlib';
import { CodecError, decodeWhole, type Codec } from '../../codecs';

/** The payload codecs, and zlib for containers of zlib chunks (LG .dz). */
export type JobCodec = Codec | 'zlib';

/**
 * MD5 and CRC-32 of a job's input and output (LG .dz chunk headers hold one
 * or the other). An MD5 is null when it was not computed: the other one
 * matched the MD5 expected.
 */
export interface JobDigests {
  md5: string | null;
  crc32: number;
  inMd5: string | null;
  inCrc32: number;
}

/**
 * Digests wanted with a job: `true` for all four; or the MD5 the caller
 * expects (a chunk header's), the MD5 of the side named by `first` computed
 * first and the other's only when the first does not match (one file keeps
 * one convention, so most jobs hash one side only).
 */
export type DigestRequest = true | { expectMd5: string; first: 'output' | 'input' };

export interface DecodeJob {
  id: number;
  codec: JobCodec;
  /** The blob, or (with `file`) nothing: the worker reads it. */
  data: Uint8Array;
  /** The blob's place in a file the main thread has open: read here, into a buffer used for every job. */
  file?: { fd: number; position: number; length: number };
  maxOut: number;
  /** Also compute JobDigests over the input and the output. */
  digests?: DigestRequest;
}

export type DecodeResult = { id: number; buffer: Uint8Array; length: number; digests?: JobDigests } | { id: number; error: string; shortRead?: boolean };

/** Decodes one job's data (in a worker, or in the main thread when there is none). */
export async function runJob(job: DecodeJob, data: Uint8Array): Promise<{ buffer: Uint8Array; length: number; digests?: JobDigests }> {
  let out: { buffer: Uint8Array; length: number };
  if (job.codec === 'zlib') {
    let b: Buffer;
    try {
      // One output buffer of the most the job may give (bounded by the caller), not pieces joined at the end.
      b = inflateSync(data, { maxOutputLength: Math.max(1, job.maxOut), chunkSize: Math.max(64, Math.min(job.maxOut, 64 * 1024 * 1024)) });
    } catch (e) {
      const code = (e as { code?: string }).code;
      throw new CodecError(code === 'ERR_BUFFER_TOO_LARGE' ? `zlib data decodes to more than ${job.maxOut} bytes` : `zlib: ${(e as Error).message}`);
    }
    out = { buffer: b, length: b.length };
  } else out = await decodeWhole(job.codec, data, job.maxOut);
  if (!job.digests) return out;
  const o = out.buffer.subarray(0, out.length);
  const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
  const want = job.digests === true ? null : job.digests;
  let outMd5: string | null = null;
  let inMd5: string | null = null;
  if (want?.first === 'input') inMd5 = md5(data);
  if (!want || inMd5 !== want.expectMd5) outMd5 = md5(o);
  if (!want || (inMd5 === null && outMd5 !== want.expectMd5)) inMd5 = md5(data);
  return { ...out, digests: { md5: outMd5, crc32: crc32(o) >>> 0, inMd5, inCrc32: crc32(data) >>> 0 } };
}

/** Blobs up to this size are read into one buffer kept for the next job; larger ones get their own. */
const KEEP_INPUT = 4 * 1024 * 1024;
let input = Buffer.alloc(0);

/** `f.length` bytes of an open file into `buf` (a new buffer when not given), or null when the file has fewer there. */
export function readFileRange(f: { fd: number; position: number; length: number }, buf = Buffer.allocUnsafeSlow(f.length)): Buffer | null {
  let got = 0;
  while (got < f.length) {
    const n = readSync(f.fd, buf, got, f.length - got, f.position + got);
    if (n === 0) return null;
    got += n;
  }
  return buf.subarray(0, f.length);
}

/** The blob from the file (small ones into the kept buffer), or null when the file has fewer bytes there. */
function readBlob(f: { fd: number; position: number; length: number }): Buffer | null {
  if (f.length > KEEP_INPUT) return readFileRange(f);
  if (input.length < f.length) input = Buffer.allocUnsafeSlow(KEEP_INPUT);
  return readFileRange(f, input);
}

parentPort?.on('message', (job: DecodeJob) => {
  let data: Uint8Array = job.data;
  if (job.file) {
    let blob: Buffer | null;
    try {
      blob = readBlob(job.file);
    } catch (e) {
      parentPort!.postMessage({ id: job.id, error: `reading the blob: ${(e as Error)?.message ?? e}`, shortRead: true } satisfies DecodeResult);
      return;
    }
    if (!blob) {
      parentPort!.postMessage({ id: job.id, error: 'the blob ends early', shortRead: true } satisfies DecodeResult);
      return;
    }
    data = blob;
  }
  runJob(job, data).then(
    ({ buffer, length, digests }) => {
      const transfer = buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength ? [buffer.buffer as ArrayBuffer] : [];
      parentPort!.postMessage({ id: job.id, buffer, length, ...(digests ? { digests } : {}) } satisfies DecodeResult, transfer);
    },
    (e: unknown) => parentPort!.postMessage({ id: job.id, error: (e as Error)?.message ?? String(e) } satisfies DecodeResult),
  );
});
