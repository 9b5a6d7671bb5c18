/**
 * Worker thread of the hashing pool (hash-pool.ts): keeps the digests the
 * main thread opened here (node:crypto hashes, and the block CRC lists of
 * crc16.ts) and feeds each the ring slots posted for it, in
 * the order they were posted. Every slot is handed back once hashed.
 */
import { parentPort } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import { BlockCrc16, blockCrcSize } from './crc16';

/** A node:crypto hash, or a list of block CRCs (crc16.ts). */
interface Digest {
  update(b: Uint8Array): unknown;
  digest(encoding: 'hex'): string;
}

export type HashRequest = { op: 'open'; id: number; algo: string } | { op: 'update'; id: number; tag: number; sab: SharedArrayBuffer; offset: number; length: number } | { op: 'digest'; id: number };

export type HashReply = { op: 'released'; tags: number[] } | { op: 'digest'; id: number; hex: string } | { op: 'error'; id: number; message: string };

const open = new Map<number, Digest>();
const failed = new Map<number, string>();
/**
 * Slots hashed and not yet handed back: they go back together once the
 * messages queued now are handled (one reply per batch, not per slot, when
 * this thread is behind), and always before a digest's reply.
 */
let released: number[] = [];
let flushing = false;

function flush(): void {
  flushing = false;
  if (released.length) parentPort!.postMessage({ op: 'released', tags: released } satisfies HashReply);
  released = [];
}

function handle(m: HashRequest): void {
  switch (m.op) {
    case 'open':
      try {
        const blocks = blockCrcSize(m.algo);
        open.set(m.id, blocks !== null ? new BlockCrc16(blocks) : createHash(m.algo));
      } catch (e) {
        failed.set(m.id, (e as Error)?.message ?? String(e));
      }
      return;
    case 'update': {
      try {
        open.get(m.id)?.update(new Uint8Array(m.sab, m.offset, m.length));
      } catch (e) {
        open.delete(m.id);
        failed.set(m.id, (e as Error)?.message ?? String(e));
      }
      released.push(m.tag);
      if (!flushing) {
        flushing = true;
        setImmediate(flush);
      }
      return;
    }
    case 'digest': {
      flush();
      const h = open.get(m.id);
      open.delete(m.id);
      const why = failed.get(m.id);
      failed.delete(m.id);
      parentPort!.postMessage((h ? { op: 'digest', id: m.id, hex: h.digest('hex') } : { op: 'error', id: m.id, message: why ?? 'no such digest' }) satisfies HashReply);
      return;
    }
  }
}

parentPort?.on('message', handle);
