/**
 * Worker thread of the payload decode pool (pool.ts): decompresses one
 * operation blob per message and hands the output back without copying it.
 */
import { parentPort } from 'node:worker_threads';
import { decodeWhole, type Codec } from './codecs';

export interface DecodeJob {
  id: number;
  codec: Codec;
  data: Uint8Array;
  maxOut: number;
}

export type DecodeResult = { id: number; buffer: Uint8Array; length: number } | { id: number; error: string };

parentPort?.on('message', (job: DecodeJob) => {
  decodeWhole(job.codec, job.data, job.maxOut).then(
    ({ buffer, length }) => {
      const transfer = buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength ? [buffer.buffer as ArrayBuffer] : [];
      parentPort!.postMessage({ id: job.id, buffer, length } satisfies DecodeResult, transfer);
    },
    (e: unknown) => parentPort!.postMessage({ id: job.id, error: (e as Error)?.message ?? String(e) } satisfies DecodeResult),
  );
});
