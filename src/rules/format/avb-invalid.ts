import { factRule } from '../types';

/**
 * A vbmeta image or AVB footer that breaks the layout libavb checks
 * (FORMATS.md §5.1–§5.7): header version, block sizes, ranges outside their
 * blocks, unknown algorithm, descriptors that overrun the descriptor area or
 * whose lengths do not fit, bad rollback index locations, chain descriptors
 * without a key blob, footers that point past the image.
 */
export default factRule('format/avb-invalid', 'An AVB vbmeta image or footer that is malformed', 'error', ['avb-invalid']);
