import { factRule } from '../types';

/**
 * A partition table or flash layout that cannot be read as written: GPT or
 * MBR header values that are impossible, super (liblp) metadata that breaks
 * liblp's reader rules, a Samsung PIT whose entry count runs past the file, a
 * scatter or rawprogram file with broken records, an XML layout with a DTD or
 * entities (FORMATS.md §3, §4, §9.2, §10).
 */
export default factRule('format/layout-invalid', 'A partition table or flash layout (GPT, MBR, super metadata, PIT, MTK scatter, Qualcomm rawprogram/patch XML) is malformed', 'error', ['layout-invalid']);
