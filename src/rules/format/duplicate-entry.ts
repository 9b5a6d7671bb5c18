import { factRule } from '../types';

/**
 * Two zip members share a name. Installers and unzip tools disagree on which
 * copy wins; Android's "Master Key" signature bypass (2013) hid a second,
 * unsigned copy behind a signed one exactly this way.
 */
export default factRule('format/duplicate-entry', 'Two archive members have the same name; tools disagree on which copy is used', 'error', ['duplicate-entry']);
