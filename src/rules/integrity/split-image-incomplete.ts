import { factRule } from '../types';

/** A split sparse image (super.img_sparsechunk.N, super.N.img...) has a missing, duplicated or foreign piece (FORMATS.md §1.6). */
export default factRule('integrity/split-image-incomplete', 'A split sparse image has a missing, duplicated or mismatched piece', 'error', ['split-incomplete']);
