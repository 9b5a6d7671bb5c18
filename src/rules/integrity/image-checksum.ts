import { factRule } from '../types';

/** A vendor image's own checksum disagrees with its bytes (Rockchip loader/KRNL/PARM CRC, Amlogic AML_RES CRC-32, Unisoc DHTB payload SHA-256). */
export default factRule('integrity/image-checksum', "A vendor image's own checksum (CRC or hash in its header or trailer) does not match its bytes", 'error', ['image-checksum']);
