/**
 * Comparing what a partition image hashes to with what a hash or hashtree
 * descriptor says, as facts. Shared by the footer (an image checked against
 * its own vbmeta while it streams) and the post-walk step (images checked
 * against descriptors in other vbmeta images of the package).
 */
import type { Fact } from '../../report/model';
import { computationKey } from './digest';
import type { HashDescriptor, HashtreeDescriptor, Located } from './structs';

export type DigestDescriptor = Located<HashDescriptor> | Located<HashtreeDescriptor>;

export function isDigestDescriptor(d: Located): d is DigestDescriptor {
  return d.type === 'hash' || d.type === 'hashtree';
}

/** The digest the descriptor holds (empty for a persistent digest, which lives on the device). */
export function expectedDigest(d: DigestDescriptor): Buffer {
  return d.type === 'hash' ? d.digest : d.rootDigest;
}

function what(d: DigestDescriptor): string {
  return d.type === 'hash' ? `${d.hashAlgorithm} of the salted first ${d.imageSize} bytes` : `hashtree root (${d.hashAlgorithm}) over the first ${d.imageSize} bytes`;
}

/**
 * The fact for one comparison. `image` names the image in words ("the image
 * this vbmeta is the footer of", "system.img"); `fields` are kept on the fact
 * for the post-walk step (which image, which descriptor, what was computed).
 */
export function digestFact(d: DigestDescriptor, computed: Buffer, image: string, fields: Record<string, unknown>): Fact {
  const kind = d.type === 'hash' ? 'avb-hash' : 'avb-hashtree';
  const want = expectedDigest(d).toString('hex');
  const got = computed.toString('hex');
  const base = { descriptor: d.index, partition: d.partition, computed: got, key: computationKey(d), ...fields };
  if (got === want) return { kind: `${kind}-ok`, message: `${image} matches the ${d.type} descriptor for "${d.partition}" (${what(d)})`, ...base };
  return { kind, message: `${image} does not match the ${d.type} descriptor for "${d.partition}": the ${what(d)} is ${got}, the descriptor says ${want}`, offset: d.offset, ...base };
}

/** The image is shorter than the descriptor covers: a failed check, decided without reading anything. */
export function shortImageFact(d: DigestDescriptor, size: number, image: string, fields: Record<string, unknown>): Fact {
  const kind = d.type === 'hash' ? 'avb-hash' : 'avb-hashtree';
  return {
    kind,
    message: `${image} is ${size} bytes; the ${d.type} descriptor for "${d.partition}" covers ${d.imageSize} bytes, so it cannot match`,
    offset: d.offset,
    descriptor: d.index,
    partition: d.partition,
    key: computationKey(d),
    ...fields,
  };
}
