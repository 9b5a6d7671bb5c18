/**
 * Worker thread of ThreadedFec (fec-thread.ts): accumulates FEC parity over
 * the batches of blocks it is sent, acknowledging each, and hands the parity
 * back when told the data is complete.
 */
import { parentPort } from 'node:worker_threads';
import { FecEncoder } from './fec';

export type FecMessage = { type: 'init'; dataBytes: number; blockSize: number; roots: number } | { type: 'add'; first: number; data: Uint8Array } | { type: 'finish' };

let enc: FecEncoder | null = null;

parentPort?.on('message', (m: FecMessage) => {
  try {
    if (m.type === 'init') {
      enc = new FecEncoder(m.dataBytes, m.blockSize, m.roots);
    } else if (m.type === 'add') {
      enc!.addBlocks(m.first, m.data);
      parentPort!.postMessage({ type: 'ack' });
    } else {
      const p = enc!.parity;
      parentPort!.postMessage({ type: 'parity', parity: p }, [p.buffer as ArrayBuffer]);
    }
  } catch (e) {
    parentPort!.postMessage({ type: 'error', message: (e as Error)?.message ?? String(e) });
  }
});
