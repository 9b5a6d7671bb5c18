/**
 * romscope library API: everything the CLI does, as functions (docs/library.md).
 * This module is the package's only entry point (`exports` in package.json);
 * every type a function here takes or returns is exported from it.
 */
export {
  inspect,
  format,
  verdict,
  passes,
  FORMATS,
  detectFormat,
  type InspectInput,
  type InspectCallOptions,
  type FormatName,
  type FormatOptions,
  type FailOn,
  type VerdictOptions,
  type Verdict,
  type FormatDescription,
} from './api';
export type { InspectOptions } from './pipeline/inspect';
export { extract, ExtractVerifyError, type ExtractOptions, type ExtractResult } from './pipeline/extract';
export { ls, renderLs, type LsEntry, type LsOptions } from './pipeline/ls';
export { RULES } from './rules/registry';
export type { Rule, RuleContext } from './rules/types';
export { runRules, type SeverityOverrides } from './rules/engine';
export { renderJson } from './report/json';
export { applyBaseline, countedFindings, readBaseline, renderBaseline, SARIF_FINGERPRINT_KEY, type Baseline, type BaselineEntry } from './report/baseline';
export { fingerprint } from './report/fingerprint';
export { renderTable, type TableOptions } from './report/table';
export { ANSI, PLAIN, type Colors } from './report/format';
export { renderSarif, ruleFullDescription, type SarifOptions } from './report/sarif';
export { renderHtml, escapeHtml, type HtmlOptions } from './report/html';
export type { Target } from './compat/target';
export type { DetectInput, FormatRole, DetectConfidence } from './formats/types';
export { FORMAT_IDS, type FormatId, type ArtifactFormat } from './formats/ids';
export type { FactKind, CheckedKind } from './facts';
export { SEVERITIES } from './report/model';
export type { Artifact, ArtifactOf, TypedArtifact, UntypedArtifact, Report } from './report/public';
export { INFO_KEYS } from './report/info';
export type { GptPartition } from './formats/gpt/header';
export type { MbrPartition } from './formats/mbr';
export type { PitEntry } from './formats/samsung-pit';
export type { DeviceStateInfo } from './formats/ota-metadata';
export type { PartitionStateInfo } from './formats/ota-metadata/protobuf';
export type { KeyDescription } from './formats/avb-vbmeta/signature';
export type {
  ArtifactInfo,
  PlacementInfo,
  FormatInfos,
  TypedFormatId,
  UntypedFormatId,
  AndroidBootInfo,
  BootSectionInfo,
  VendorRamdiskInfo,
  AvbVbmetaInfo,
  AvbDescriptorInfo,
  VbmetaRole,
  AvbFooterInfo,
  AndroidSparseInfo,
  OtaPayloadInfo,
  PayloadPartitionInfo,
  PayloadSignatureInfo,
  OtaMetadataInfo,
  GptInfo,
  GptHeaderInfo,
  MbrRecordInfo,
  MbrInfo,
  LpMetadataInfo,
  SamsungPitInfo,
  Ext4Info,
  ErofsInfo,
  F2fsInfo,
  ZipInfo,
  CertificateInfo,
  TarInfo,
  SamsungTarMd5Info,
} from './report/info';
export type {
  Fact,
  ExpectedDigest,
  Finding,
  Severity,
  Summary,
  IntegrityStatus,
  SignatureStatus,
  CompatibilityVerdict,
  CompatibilitySummary,
  CompatibilityEvidence,
  BuildIdentityValues,
  BuildPartition,
  BuildSummary,
  BaselineSummary,
} from './report/model';
export type { BudgetOptions } from './io/limits';
export { HASH_ALGOS, type HashAlgo } from './io/hash';
export { RomscopeError, UsageError, FormatError, TruncatedError, BudgetError, MemoryBudgetError, AbortError, type RomscopeErrorCode } from './io/errors';
export { REPOSITORY_URL, RULE_DOCS_BASE_URI } from './project';
export { VERSION } from './version';
