import { factRule } from '../types';

/** Samsung Odin .tar.md5: the trailing md5sum line disagrees with the tar bytes, or is missing. */
export default factRule('integrity/tar-md5', "A Samsung .tar.md5 archive's trailing md5 line is missing or does not match the archive", 'error', ['tar-md5']);
