import { factRule } from '../types';

/** An archive or stream ends before its structure says it should (a cut download). */
export default factRule('integrity/truncated', 'An archive or compressed stream ends before its own structure says it should', 'error', ['truncated']);
