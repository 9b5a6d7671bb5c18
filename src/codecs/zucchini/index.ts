/**
 * Zucchini patches (A/B payloads' ZUCCHINI operation and puffin's ZUCCHINI
 * patch type). Our own code, learned from Chromium's components/zucchini
 * (README.md, patch_reader.cc, patch_utils.h, image_utils.h,
 * zucchini_apply.cc); docs/formats.md describes what is applied.
 */
export {
  ZUCCHINI_EXE_TYPES,
  ZUCCHINI_MAGIC,
  ZUCCHINI_MAJOR_VERSIONS,
  ZUCCHINI_MAX_BYTES,
  ZUCCHINI_MAX_ELEMENTS,
  ZucchiniError,
  equivalences,
  exeTypeName,
  rawDeltas,
  readZucchiniHeader,
  readZucchiniPatch,
  type Equivalence,
  type ZucchiniElement,
  type ZucchiniHeader,
  type ZucchiniPatch,
} from './patch';
export { applyCompressedZucchiniPatch, applyZucchiniPatch, brotliZucchiniPatch, type ZucchiniApplyOptions } from './apply';
