/** The part of seek-bzip (pure-JS bzip2 decoder) romscope uses; the package ships no types. */
declare module 'seek-bzip' {
  /**
   * Decodes a bzip2 stream. `output` is a buffer, a size, or a sink with
   * `writeByte`; with a sink nothing is returned.
   */
  export function decode(input: Buffer, output?: Buffer | number, multistream?: boolean): Buffer;
}

/**
 * seek-bzip's decoder object (the module's export is its constructor):
 * construction reads a stream header; `_get_next_block` Huffman-decodes one
 * block into `dbuf` and undoes the BWT sort, leaving the output walk's start
 * in the `write*` fields, or returns false at the end-of-stream marker.
 * Internal to seek-bzip 2.0.0 (package.json pins it); `src/codecs/bzip2.ts`
 * checks the shape before use.
 */
declare module 'seek-bzip/lib/index' {
  interface ByteInput {
    readByte(): number;
    read(buf: Uint8Array, off: number, len: number): number;
    seek(pos: number): void;
  }
  class Bunzip {
    constructor(input: ByteInput, output: unknown);
    _get_next_block(): boolean;
    reader: { read(bits: number): number };
    dbuf: Uint32Array;
    dbufSize: number;
    writePos: number;
    writeCurrent: number;
    writeCount: number;
    writeRun: number;
    targetBlockCRC: number;
  }
  export = Bunzip;
}
