import { factRule } from '../types';

/** A boot / vendor_boot image breaks mkbootimg's layout (FORMATS.md §2.12). */
export default factRule('format/boot-invalid', 'A boot or vendor_boot image has a bad header, a section past the end of the file, or sizes that disagree with its page size', 'error', ['boot-invalid']);
