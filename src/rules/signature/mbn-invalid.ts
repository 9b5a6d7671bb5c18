import { factRule } from '../types';

/** A Qualcomm signed image's signature does not verify with its attestation certificate, or its certificate chain is broken. */
export default factRule('signature/mbn-invalid', "A Qualcomm signed image's signature or certificate chain does not verify", 'error', ['mbn-signature']);
