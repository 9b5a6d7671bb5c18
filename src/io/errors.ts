import type { FactKind } from '../facts';

/**
 * Errors that decoders throw for bad input. The walk turns each into a fact on
 * the artifact being decoded; none of them ever reaches a user as a stack trace.
 */
export class RomscopeError extends Error {
  /**
   * @param factKind the fact this error becomes when it is more specific than
   *   its class (a block OTA's new.dat running out is 'blockota-short-data',
   *   not just 'truncated').
   */
  constructor(
    message: string,
    readonly offset?: number,
    readonly factKind?: FactKind,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The bytes end before the structure says they should (a cut download). */
export class TruncatedError extends RomscopeError {}

/** The bytes are there but do not decode (bad magic, lying length, corrupt stream). */
export class FormatError extends RomscopeError {}

/** A limit from the walk budget was reached (depth, members, expanded bytes). */
export class BudgetError extends RomscopeError {}

/**
 * The memory budget for decoder state was reached: the decoder that hit it
 * stops, its container gets the `budget` fact and is still hashed, and the
 * walk goes on (the state is released with the decoder's scope).
 */
export class MemoryBudgetError extends BudgetError {}

/** A problem with how romscope was called (missing file, bad argument): exit code 2. */
export class UsageError extends RomscopeError {}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
