import { BudgetError, FormatError, RomscopeError, TruncatedError, errorMessage } from '../io/errors';
import type { StreamSource } from '../io/source';
import type { Fact } from '../report/model';
import type { FactKind } from '../facts';

/** Turns any error thrown while decoding into a fact (never a stack trace). */
export function errorToFact(e: unknown, context?: string): Fact {
  const where = context ? `${context}: ` : '';
  const offset = (e as { offset?: number })?.offset;
  const base = offset === undefined ? {} : { offset };
  const special = (e as { factKind?: FactKind })?.factKind;
  if (special) return { kind: special, message: where + (e as Error).message, ...base };
  if (e instanceof TruncatedError) return { kind: 'truncated', message: where + e.message, ...base };
  if (e instanceof BudgetError) return { kind: 'budget', message: where + e.message, ...base };
  if (e instanceof FormatError) return { kind: 'unreadable', message: where + e.message, ...base };
  // A system error's code (ENOENT...); romscope's own errors carry a `code` too, which is not that.
  const code = e instanceof RomscopeError ? undefined : (e as NodeJS.ErrnoException)?.code;
  if (code) return { kind: 'unreadable', message: `${where}${code}: ${errorMessage(e)}` };
  return { kind: 'unreadable', message: `${where}internal error while decoding: ${errorMessage(e)}` };
}

/** Calls `onChunk` for every chunk passing through (and waits for it when it returns a promise). */
export async function* tap(input: AsyncIterable<Buffer>, onChunk: (b: Buffer) => void | Promise<void>): AsyncGenerator<Buffer> {
  for await (const c of input) {
    const p = onChunk(c);
    if (p) await p;
    yield c;
  }
}

/**
 * An iterator whose consumer cannot close it: after a decoder stops reading
 * (early, on error), the walk drains the rest so the hash covers every byte.
 */
export class Shielded implements AsyncIterable<Buffer> {
  private readonly it: AsyncIterator<Buffer>;
  constructor(input: AsyncIterable<Buffer>) {
    this.it = input[Symbol.asyncIterator]();
  }
  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    return { next: () => this.it.next(), return: async () => ({ done: true, value: undefined }) };
  }
  async drain(): Promise<void> {
    for (;;) if ((await this.it.next()).done) return;
  }
}

/** A sequential source that can be streamed exactly once (a decoder's output inside the walk). */
export class OneShotSource implements StreamSource {
  readonly kind = 'stream' as const;
  private used = false;
  constructor(
    readonly name: string,
    readonly size: number | null,
    private readonly input: AsyncIterable<Buffer>,
  ) {}
  stream(): AsyncIterable<Buffer> {
    if (this.used) throw new Error(`internal: one-shot stream "${this.name}" read twice`);
    this.used = true;
    return this.input;
  }
}
