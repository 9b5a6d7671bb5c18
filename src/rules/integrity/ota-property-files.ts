import { factRule } from '../types';

/** The metadata's ota-property-files / ota-streaming-property-files entries are not the byte ranges of the package's stored members. */
export default factRule('integrity/ota-property-files', "An OTA package's ota-property-files entries (name:offset:size) do not point at its stored members", 'error', ['ota-property-files']);
