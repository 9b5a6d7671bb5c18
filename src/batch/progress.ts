/**
 * The one progress line of `romscope batch` on stderr (only when stderr is a
 * terminal and --quiet is not given; after ROMSCOPE_PROGRESS_AFTER_MS, as
 * src/cli/progress.ts): inputs done of all, bytes done of all, the rate, and
 * the base names of the inputs being checked now.
 */
import { basename } from 'node:path';
import { humanSize, terminalSafe } from '../report/format';
import { textWidth } from '../report/layout';
import { clock } from '../cli/progress';

function delay(): number {
  const v = process.env.ROMSCOPE_PROGRESS_AFTER_MS;
  return v !== undefined && /^[0-9]+$/.test(v) ? Number(v) : 1000;
}

export interface BatchProgressState {
  done: number;
  total: number;
  bytesDone: number;
  bytesTotal: number;
  /** Bytes a second since the start. */
  rate: number;
  /** Paths being checked now. */
  current: string[];
}

/** The line, at most `columns - 1` wide; the names are cut first. */
export function batchProgressLine(p: BatchProgressState, columns: number): string {
  const parts = [`romscope: batch ${p.done}/${p.total} inputs`, `${humanSize(p.bytesDone)} of ${humanSize(p.bytesTotal)}`];
  if (p.rate > 0) {
    parts.push(`${humanSize(Math.round(p.rate))}/s`);
    if (p.bytesDone < p.bytesTotal) parts.push(`${clock((p.bytesTotal - p.bytesDone) / p.rate)} left`);
  }
  const head = parts.join(', ');
  const names = terminalSafe(p.current.map((c) => basename(c)).join(', '));
  const room = columns - 1 - textWidth(head) - 2;
  if (!names || room < 8) return textWidth(head) <= columns - 1 ? head : [...head].slice(0, Math.max(0, columns - 2)).join('') + '…';
  return `${head}: ${textWidth(names) <= room ? names : [...names].slice(0, room - 1).join('') + '…'}`;
}

export class BatchProgress {
  private readonly start = Date.now();
  private readonly showAfter = delay();
  private last = 0;
  private shown = false;
  private done = 0;
  private bytesDone = 0;
  /** Bytes read so far of each input in flight. */
  private readonly inFlight = new Map<string, number>();
  constructor(
    private readonly enabled: boolean,
    private readonly total: number,
    private readonly bytesTotal: number,
  ) {}

  begin(path: string): void {
    this.inFlight.set(path, 0);
    this.draw();
  }

  /** How far into `path` its worker has read. */
  position(path: string, pos: number): void {
    if (this.inFlight.has(path)) this.inFlight.set(path, Math.max(this.inFlight.get(path)!, pos));
    this.draw();
  }

  /** An input is done (checked, skipped or failed): all its bytes count. */
  finish(path: string, size: number): void {
    this.inFlight.delete(path);
    this.done++;
    this.bytesDone += size;
    this.draw();
  }

  private draw(): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.start < this.showAfter || now - this.last < 100) return;
    this.last = now;
    this.shown = true;
    let bytes = this.bytesDone;
    for (const v of this.inFlight.values()) bytes += v;
    const secs = (now - this.start) / 1000;
    const line = batchProgressLine(
      { done: this.done, total: this.total, bytesDone: bytes, bytesTotal: this.bytesTotal, rate: secs >= 0.5 ? bytes / secs : 0, current: [...this.inFlight.keys()] },
      process.stderr.columns || 80,
    );
    process.stderr.write(`\r${line}\x1b[K`);
  }

  /** Clears the line (before any other output on stderr). */
  clear(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
    this.last = 0;
  }
}
