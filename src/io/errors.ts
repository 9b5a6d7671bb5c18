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
  /** A stable identifier of the error class, for callers that test `err.code` rather than `instanceof`. */
  get code(): RomscopeErrorCode {
    return 'ROMSCOPE_ERROR';
  }
}

/** Every `code` a romscope error carries (stable: documented in docs/library.md). */
export type RomscopeErrorCode = 'ROMSCOPE_ERROR' | 'ROMSCOPE_TRUNCATED' | 'ROMSCOPE_FORMAT' | 'ROMSCOPE_BUDGET' | 'ROMSCOPE_MEMORY_BUDGET' | 'ROMSCOPE_USAGE' | 'ROMSCOPE_ABORTED' | 'ROMSCOPE_EXTRACT_VERIFY';

/** The bytes end before the structure says they should (a cut download). */
export class TruncatedError extends RomscopeError {
  override get code(): RomscopeErrorCode {
    return 'ROMSCOPE_TRUNCATED';
  }
}

/** The bytes are there but do not decode (bad magic, lying length, corrupt stream). */
export class FormatError extends RomscopeError {
  override get code(): RomscopeErrorCode {
    return 'ROMSCOPE_FORMAT';
  }
}

/** A limit from the walk budget was reached (depth, members, expanded bytes). */
export class BudgetError extends RomscopeError {
  override get code(): RomscopeErrorCode {
    return 'ROMSCOPE_BUDGET';
  }
}

/**
 * The memory budget for decoder state was reached: the decoder that hit it
 * stops, its container gets the `budget` fact and is still hashed, and the
 * walk goes on (the state is released with the decoder's scope).
 */
export class MemoryBudgetError extends BudgetError {
  override get code(): RomscopeErrorCode {
    return 'ROMSCOPE_MEMORY_BUDGET';
  }
}

/** A problem with how romscope was called (missing file, bad argument): exit code 2. */
export class UsageError extends RomscopeError {
  override get code(): RomscopeErrorCode {
    return 'ROMSCOPE_USAGE';
  }
}

/** The caller's AbortSignal fired: the library call stopped and returns nothing (`name` is 'AbortError', as Node's own). */
export class AbortError extends RomscopeError {
  constructor(message = 'the operation was aborted') {
    super(message);
    this.name = 'AbortError';
  }
  override get code(): RomscopeErrorCode {
    return 'ROMSCOPE_ABORTED';
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
