import { factRule } from '../types';

/** A member was recognised but could not be decoded (corrupt data, bad header, lying length field). */
export default factRule('format/unreadable', 'A member could not be decoded: corrupt data, a bad header or a length field that lies', 'error', ['unreadable']);
