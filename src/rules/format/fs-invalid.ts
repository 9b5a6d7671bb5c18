import { factRule } from '../types';

/** A file system structure is inconsistent: a block past the end, a loop, an impossible count or size. */
export default factRule('format/fs-invalid', 'A file system structure is inconsistent (a block past the end, a loop, a bad count)', 'error', ['fs-invalid']);
