import { factRule } from '../types';

/** An A/B payload whose header or manifest breaks update_engine's rules (FORMATS.md §6). */
export default factRule('format/payload-invalid', "An A/B OTA payload's header or manifest breaks update_engine's rules: version, sizes, operations, extents, blob ranges", 'error', ['payload-invalid']);
