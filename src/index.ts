/** romscope library API: everything the CLI does, as functions. */
export { inspect, type InspectOptions } from './pipeline/inspect';
export { extract, ExtractVerifyError, type ExtractOptions, type ExtractResult } from './pipeline/extract';
export { ls, renderLs, type LsEntry, type LsOptions } from './pipeline/ls';
export { RULES } from './rules/registry';
export type { Rule, RuleContext } from './rules/types';
export { runRules, type SeverityOverrides } from './rules/engine';
export { renderJson } from './report/json';
export { renderTable } from './report/table';
export { renderSarif, type SarifOptions } from './report/sarif';
export type { Target } from './compat/target';
export { HANDLERS, detectFormat } from './formats/registry';
export type { Artifact, Finding, Report, Severity, Summary, CompatibilitySummary, CompatibilityEvidence } from './report/model';
export { HASH_ALGOS, type HashAlgo } from './io/hash';
export { RomscopeError, UsageError, FormatError, TruncatedError, BudgetError, MemoryBudgetError } from './io/errors';
export { VERSION } from './version';
