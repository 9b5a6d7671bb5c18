/**
 * Puffin (A/B payloads' PUFFDIFF): deflate <-> puff form, and puffin patches.
 * Our own code, learned from puffin's public sources (puffer.cc, huffer.cc,
 * huffman_table.cc, puff_reader/writer.cc, puffin_stream.cc, puffpatch.cc,
 * puffin.proto) and RFC 1951. docs/formats.md describes the patch format.
 */
export { PuffinError, type BitExtent, type ByteExtent } from './deflate';
export { PuffWriter, puffDeflate } from './puffer';
export { huffDeflate } from './huffer';
export { checkDeflates, huffStream, puffStream } from './stream';
export { PUFFIN_MAGIC, PUFF_MAX_BYTES, PUFF_MAX_EXTENTS, applyPuffPatch, readPuffPatchHeader, writePuffPatch, type PuffPatchHeader, type PuffPatchOptions, type PuffPatchType, type PuffStreamInfo } from './patch';
