import { factRule } from '../types';

/** A checksum file lists a file that the package does not contain. */
export default factRule('integrity/listed-file-missing', 'A checksum file lists a file that is not in the package', 'warning', ['checksum-missing']);
