import { factRule } from '../types';

/**
 * Partitions of one table that share sectors, or that lie outside the space
 * the table says is usable (GPT's first/last usable LBA, an MBR extended
 * partition for its logical partitions, a liblp group's maximum size).
 */
export default factRule('layout/overlap', 'Two partitions of a partition table overlap, or a partition lies outside the usable space', 'error', ['layout-overlap']);
