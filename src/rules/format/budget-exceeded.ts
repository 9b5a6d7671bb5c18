import { factRule } from '../types';

/** The walk stopped at a limit: nesting depth, member count, decompressed bytes, or overlapping zip members (zip bombs). */
export default factRule('format/budget-exceeded', 'Inspection stopped at a safety limit (nesting depth, member count, decompressed size): a possible decompression bomb', 'error', ['budget']);
