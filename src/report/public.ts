/**
 * The report as the library gives it (docs/library.md#typed-info): the same
 * objects as src/report/model.ts, with each artifact's `info` typed by its
 * `format` (a discriminated union), so `if (a.format === 'android-boot')
 * a.info.osVersion` is checked by the compiler.
 */
import type { Artifact as ModelArtifact, Report as ModelReport } from './model';
import type { ArtifactInfo, TypedFormatId, UntypedFormatId } from './info';
import type { ArtifactFormat } from '../formats/ids';

type ArtifactBase = Omit<ModelArtifact, 'format' | 'info' | 'children'>;

/** An artifact whose format has a typed `info`. */
export type TypedArtifact<F extends TypedFormatId = TypedFormatId> = F extends TypedFormatId ? ArtifactBase & { format: F; info: ArtifactInfo<F>; children: Artifact[] } : never;

/** An artifact of any other format (or `data`): its `info` is `Record<string, unknown>`. */
export type UntypedArtifact = ArtifactBase & { format: UntypedFormatId; info: Record<string, unknown>; children: Artifact[] };

/** One thing romscope found (docs/report-format.md#artifacts); narrow on `format` to get its typed `info`. */
export type Artifact = TypedArtifact | UntypedArtifact;

/** The report `inspect` returns (docs/report-format.md). */
export type Report = Omit<ModelReport, 'root'> & { root: Artifact };

/** The typed view of a report built by the pipeline: the same object, its artifacts' `info` as the decoders write it (test/report/info.test.ts checks that). */
export function typedReport(r: ModelReport): Report {
  return r as unknown as Report;
}

/** The artifact type of one format id: `ArtifactOf<'gpt'>` has `info: ArtifactInfo<'gpt'>`. */
export type ArtifactOf<F extends ArtifactFormat> = F extends TypedFormatId ? TypedArtifact<F> : UntypedArtifact;
