import { humanSize, terminalSafe } from '../report/format';
import { textWidth } from '../report/layout';

/** Milliseconds before the line first shows: quick runs print none (ROMSCOPE_PROGRESS_AFTER_MS changes it, for tests). */
function delay(): number {
  const v = process.env.ROMSCOPE_PROGRESS_AFTER_MS;
  return v !== undefined && /^[0-9]+$/.test(v) ? Number(v) : 1000;
}

/** `m:ss` (or `h:mm:ss`) for a number of seconds. */
export function clock(secs: number): string {
  const s = Math.max(0, Math.round(secs));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** The state a progress line is drawn from. */
export interface ProgressState {
  /** What is being done: "hashing", "decoding", "writing". */
  doing: string;
  /** Bytes of `total` done in this step. */
  done: number;
  total: number | null;
  /** Bytes a second in this step. */
  rate: number;
  /** The artifact being worked on. */
  what: string;
}

/**
 * One progress line, at most `columns - 1` wide: the step, percent, rate and
 * time left first, then the artifact's path, cut at its start when the line
 * would be too wide.
 */
export function progressLine(p: ProgressState, columns: number): string {
  const parts = [`romscope: ${p.doing}`];
  if (p.total) {
    const pct = Math.min(100, Math.floor((100 * p.done) / p.total));
    parts[0] += ` ${pct}% of ${humanSize(p.total)}`;
  } else parts[0] += ` ${humanSize(p.done)}`;
  if (p.rate > 0) parts.push(`${humanSize(Math.round(p.rate))}/s`);
  if (p.total && p.rate > 0 && p.done < p.total) parts.push(`${clock((p.total - p.done) / p.rate)} left`);
  const head = parts.join(', ');
  const room = columns - 1 - textWidth(head) - 2;
  const what = terminalSafe(p.what);
  if (!what || room < 8) return clip(head, columns - 1);
  return `${head}: ${textWidth(what) <= room ? what : `…${[...what].slice(-(room - 1)).join('')}`}`;
}

function clip(s: string, max: number): string {
  return textWidth(s) <= max ? s : `${[...s].slice(0, Math.max(0, max - 1)).join('')}…`;
}

/**
 * A one-line progress display on stderr, only when stderr is a terminal and
 * only for work that takes over a second. `inspect` shows how far into the
 * input file reading is, first while the input is hashed, then while what is
 * inside it is decoded; `extract` shows the share of the artifact written.
 */
export class Progress {
  private readonly start = Date.now();
  private readonly showAfter = delay();
  private last = 0;
  private shown = false;
  private doing = 'reading';
  private amount = 0;
  private total: number | null = null;
  private what = '';
  /** When the current step started, and how far it was then (for its rate). */
  private stepStart = Date.now();
  private stepFrom = 0;
  constructor(private readonly enabled: boolean) {}

  /** The walk reports bytes of an artifact: the input's own hashing pass (path '') or something inside it. */
  update(_bytes: number, path: string): void {
    if (!this.enabled) return;
    if (path === '') {
      if (this.doing === 'reading') this.step('hashing', 0);
    } else {
      if (this.doing !== 'decoding') this.step('decoding', 0);
      this.what = path;
    }
    this.draw();
  }

  /** How far into the input file the last read ended. Within a step the share only grows. */
  input(position: number, size: number): void {
    if (!this.enabled) return;
    this.total = size;
    this.amount = Math.max(this.amount, position);
    this.draw();
  }

  /** `extract`: bytes of the artifact written so far, and its size when known. */
  written(bytes: number, size: number | null, what: string): void {
    if (!this.enabled) return;
    if (this.doing !== 'writing') this.step('writing', 0);
    this.amount = bytes;
    this.total = size;
    this.what = what;
    this.draw();
  }

  private step(doing: string, from: number): void {
    this.doing = doing;
    this.amount = from;
    this.stepStart = Date.now();
    this.stepFrom = from;
  }

  private draw(): void {
    const now = Date.now();
    if (now - this.start < this.showAfter || now - this.last < 100) return;
    this.last = now;
    this.shown = true;
    const secs = (now - this.stepStart) / 1000;
    // A rate (and so a time left) from under half a second of a step says little: left out until then.
    const rate = secs >= 0.5 ? (this.amount - this.stepFrom) / secs : 0;
    const cols = process.stderr.columns || 80;
    const line = progressLine({ doing: this.doing, done: this.amount, total: this.total, rate, what: this.what }, cols);
    process.stderr.write(`\r${line}\x1b[K`);
  }

  /** Clears the line. */
  done(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
    this.shown = false;
  }
}
