import { factRule } from '../types';

/**
 * The SHA-1 `id` in a v0–v2 boot header matches neither the AOSP nor the
 * LineageOS recipe (FORMATS.md §2.5). Other tools write other things there,
 * so this is a warning: often a repack, sometimes a damaged image.
 */
export default factRule('integrity/boot-id', 'The SHA-1 id in a v0-v2 boot image header does not match its sections', 'warning', ['boot-id']);
