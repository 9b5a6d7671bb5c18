import { factRule } from '../types';

/** A sparse image breaks libsparse's rules: header fields, chunk sizes, blocks past total_blks (FORMATS.md §1.5). */
export default factRule('format/sparse-invalid', 'A sparse image has a bad header, chunk sizes that disagree with it, or blocks past its end', 'error', ['sparse-invalid']);
