import { factRule } from '../types';

/**
 * A partition table or flash layout that cannot be read as written: a Samsung
 * PIT whose entry count runs past the file, a scatter or rawprogram file with
 * broken records, an XML layout with a DTD or entities (FORMATS.md §9.2, §10).
 */
export default factRule(
  'format/layout-invalid',
  'A partition table or flash layout (PIT, MTK scatter, Qualcomm rawprogram/patch XML) is malformed',
  'error',
  ['layout-invalid'],
);
