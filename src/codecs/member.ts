/**
 * What the member decoders (a `.xz`, `.zst` or `.bz2` file in a package,
 * decoded as a stream) report besides their output. Problems that stop
 * decoding are thrown as the errors of `src/io/errors` (a cut stream is a
 * TruncatedError; corrupt data a FormatError, its `factKind` naming a
 * checksum failure or an unsupported feature when it is one).
 */
export interface MemberHooks {
  /** A check the stream carries was computed: it matched (`ok`) or not; decoding goes on either way. */
  check(ok: boolean, message: string, offset?: number): void;
  /** Stream-level info for the report (frames, streams, check type...). */
  info: Record<string, unknown>;
}

/** Output pieces are at most this long, so one piece of a huge stream never sits in memory whole. */
export const MEMBER_CHUNK = 256 * 1024;
