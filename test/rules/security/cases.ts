/** Shared inputs of the security/* rule tests: images made by mke2fs/img2simg/mkfs.erofs (skipped visibly without them). */
import { hasTool } from '../../helpers';
import { zipOf } from '../../../fixtures/builders/rom';
import { ext4Image, erofsImage, postureTree, sparseOf, type PostureOptions } from '../../../fixtures/builders/posture';

export const noExt4 = (): string | false => (hasTool('mke2fs') && hasTool('img2simg') ? false : 'mke2fs or img2simg not installed');
export const noErofs = (): string | false => (hasTool('mkfs.erofs') ? false : 'mkfs.erofs not installed');

/** A package whose system.img is a sparse ext4 image of the posture tree, stored in a zip. */
export const sparseSystemZip = (o: PostureOptions = {}): Buffer => zipOf({ 'system.img': sparseOf(ext4Image(postureTree(o))) });
export const erofsSystemZip = (o: PostureOptions = {}): Buffer => zipOf({ 'system.img': erofsImage(postureTree(o)) });
