import { factRule } from '../types';

/** An archive member name is absolute or climbs out with "..": a path-traversal attempt on extraction. */
export default factRule('format/unsafe-path', 'An archive member name is absolute or contains ".." and would escape the extraction directory', 'error', ['unsafe-path']);
