import { factRule } from '../types';

/** A super image's geometry, metadata header or tables fail their SHA-256 (FORMATS.md §4.2–4.5). */
export default factRule('integrity/lp-checksum', 'A dynamic-partitions (super) geometry or metadata copy fails its SHA-256 checksum', 'error', ['lp-checksum']);
