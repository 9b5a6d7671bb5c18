/** Shared AVB fixtures for the signature/*, integrity/avb-* and format/avb-invalid rule tests (no test cases here). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { addHashFooter, addHashtreeFooter, buildVbmeta, hashDescriptor, hashTree, keyBlob, keyFromPem, rsaKey, type DescriptorSpec, type VbmetaSpec } from '../../fixtures/builders/avb';
import { buildZip, type ZipEntryInput } from '../../fixtures/builders/zip';
import { pseudoRandom } from '../../fixtures/builders/data';
import { CORPUS } from '../helpers';

export const salt = pseudoRandom(32, 1);
export const key = () => rsaKey(2048);
export const boot = pseudoRandom(5 * 4096 + 10, 41);
export const system = pseudoRandom(140 * 4096, 42);
export const bootHash = () => hashDescriptor(boot, 'boot', salt);
export const systemTree = (image = system): DescriptorSpec => ({
  type: 'hashtree',
  partition: 'system',
  imageSize: image.length,
  treeOffset: image.length,
  treeSize: 8192,
  salt,
  rootDigest: hashTree(image, salt).rootDigest,
});

/** A signed (SHA256_RSA2048) vbmeta with these descriptors. */
export function signedVbmeta(descriptors: DescriptorSpec[] = [], more: VbmetaSpec = {}): Buffer {
  return buildVbmeta({ algorithm: 'SHA256_RSA2048', key: key(), descriptors, ...more });
}

export function zip(entries: ZipEntryInput[]): Buffer {
  return buildZip(entries);
}

export function flip(b: Buffer, at: number): Buffer {
  const c = Buffer.from(b);
  c[at] ^= 0x40;
  return c;
}

/** A partition image with an unsigned hash footer (what a factory boot.img or dtbo.img usually is). */
export const unsignedFooter = (image: Buffer, partition: string) => addHashFooter(image, { partitionName: partition, partitionSize: 128 * 1024, salt });
export const unsignedTreeFooter = (image: Buffer, partition: string) => addHashtreeFooter(image, { partitionName: partition, partitionSize: image.length + 64 * 1024 + 16384, salt });
export { keyBlob, rsaKey, addHashFooter };

/** The corpus's AOSP test key, or a reason to skip when the corpus is absent. */
export const TESTKEY2048 = join(CORPUS, 'avb-testdata', 'testkey_rsa2048.pem');
export const needsCorpus = () => (existsSync(TESTKEY2048) ? false : `shared corpus not present (${TESTKEY2048})`);
export const testKey2048 = () => keyFromPem(TESTKEY2048);
