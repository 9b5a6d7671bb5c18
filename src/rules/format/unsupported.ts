import { factRule } from '../types';

/** A member uses a feature romscope cannot check (encryption, an unusual zip compression method). */
export default factRule('format/unsupported', 'A member uses encryption or a compression method romscope cannot check', 'warning', ['unsupported']);
