/** The part of seek-bzip (pure-JS bzip2 decoder) romscope uses; the package ships no types. */
declare module 'seek-bzip' {
  /**
   * Decodes a bzip2 stream. `output` is a buffer, a size, or a sink with
   * `writeByte`; with a sink nothing is returned.
   */
  export function decode(input: Buffer, output?: Buffer | number, multistream?: boolean): Buffer;
}
