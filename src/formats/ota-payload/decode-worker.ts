/**
 * Worker thread of the payload decode pool (pool.ts): decompresses one
 * operation blob per message and hands the output back without copying it.
 */
import { parentPort } from 'node:worker_threads';
import { readSync } from 'node:fs';
import { decodeWhole, type Codec } from '../../codecs';

export interface DecodeJob {
  id: number;
  codec: Codec;
  /** The blob, or (with `file`) nothing: the worker reads it. */
  data: Uint8Array;
  /** The blob's place in a file the main thread has open: read here, into a buffer used for every job. */
  file?: { fd: number; position: number; length: number };
  maxOut: number;
}

export type DecodeResult = { id: number; buffer: Uint8Array; length: number } | { id: number; error: string; shortRead?: boolean };

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
  decodeWhole(job.codec, data, job.maxOut).then(
    ({ buffer, length }) => {
      const transfer = buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength ? [buffer.buffer as ArrayBuffer] : [];
      parentPort!.postMessage({ id: job.id, buffer, length } satisfies DecodeResult, transfer);
    },
    (e: unknown) => parentPort!.postMessage({ id: job.id, error: (e as Error)?.message ?? String(e) } satisfies DecodeResult),
  );
});
