import { factRule } from '../types';

/** A partition image's dm-verity hashtree root does not match its AVB hashtree descriptor (FORMATS.md §5.8). */
export default factRule('integrity/avb-hashtree', 'A partition image does not match the dm-verity root digest an AVB hashtree descriptor gives for it', 'error', ['avb-hashtree']);
