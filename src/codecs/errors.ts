/** Corrupt or oversized compressed data; the message says which. */
export class CodecError extends Error {}

export type Codec = 'xz' | 'bzip2' | 'zstd';

export function tooLarge(codec: Codec, maxOut: number): CodecError {
  return new CodecError(`${codec} data decodes to more than the ${maxOut} bytes its extents hold`);
}
