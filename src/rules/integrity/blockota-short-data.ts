import { factRule } from '../types';

/** A block OTA's new.dat (or .new.dat.br) holds fewer bytes than its transfer list writes, or is missing (FORMATS.md §8.5). */
export default factRule('integrity/blockota-short-data', "A block OTA's new.dat is missing or shorter than the blocks its transfer list writes", 'error', ['blockota-short-data']);
