import { factRule } from '../types';

/** A block OTA transfer list writes past the partition, or writes a block twice (FORMATS.md §8.3). */
export default factRule('layout/blockota-range', 'A block OTA transfer list writes past the end of its partition or writes the same block twice', 'error', ['blockota-range']);
