import { factRule } from '../types';

/** A segment of a Qualcomm signed image (sbl1, xbl, abl, tz, a firehose programmer) does not match its digest in the hash table segment. */
export default factRule('integrity/mbn-segment-hash', "A segment of a Qualcomm signed image does not match its digest in the image's hash table", 'error', ['mbn-segment-hash']);
