import { humanSize, terminalSafe } from '../report/format';

/**
 * A one-line progress display on stderr, only when stderr is a terminal and
 * only for work that takes over a second.
 */
export class Progress {
  private readonly start = Date.now();
  private last = 0;
  private shown = false;
  constructor(private readonly enabled: boolean) {}

  update(bytes: number, path: string): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.start < 1000 || now - this.last < 100) return;
    this.last = now;
    this.shown = true;
    const secs = (now - this.start) / 1000;
    const rate = humanSize(Math.round(bytes / secs));
    const cols = process.stderr.columns || 80;
    const line = `romscope: ${humanSize(bytes)} read (${rate}/s) ${terminalSafe(path || '')}`;
    process.stderr.write(`\r${line.length > cols - 1 ? line.slice(0, cols - 2) + '…' : line.padEnd(cols - 1)}`);
  }

  done(): void {
    if (this.shown) process.stderr.write(`\r${' '.repeat((process.stderr.columns || 80) - 1)}\r`);
  }
}
