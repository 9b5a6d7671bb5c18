/**
 * Type-level checks of the library's typed `info` (src/report/info.ts,
 * src/report/public.ts), compiled by the normal build (`tsc -p
 * tsconfig.json`): a line marked `@ts-expect-error` that compiles fails the
 * build. Nothing here runs.
 */
import type { Artifact, ArtifactFormat, ArtifactOf, Report, TypedFormatId, FormatId } from '../../src/index';

type Equal<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** Every format id, and `data`, is the `format` of some member of the union. */
export const everyFormat: Equal<Artifact['format'], ArtifactFormat> = true;
/** The typed formats are format ids. */
export const typedAreIds: Equal<TypedFormatId extends FormatId ? true : false, true> = true;

function* walk(a: Artifact): Generator<Artifact> {
  yield a;
  for (const c of a.children) yield* walk(c);
}

export function typedInfo(report: Report): unknown[] {
  const out: unknown[] = [];
  // @ts-expect-error not narrowed: an untyped format's info has no osVersion key declared
  out.push(report.root.info.osVersion);
  for (const a of walk(report.root)) {
    if (a.format === 'android-boot') {
      const os: string | null | undefined = a.info.osVersion;
      const kind: 'boot' | 'recovery' | 'init_boot' | 'vendor_boot' | undefined = a.info.kind;
      const sections: { name: string; offset: number; size: number }[] | undefined = a.info.sections;
      // A key of its place (a zip member's compression) is declared too.
      const compression: string | undefined = a.info.compression;
      // @ts-expect-error a misspelt key
      out.push(a.info.osVerison);
      // @ts-expect-error osVersion is a string
      const wrong: number | undefined = a.info.osVersion;
      out.push(os, kind, sections, compression, wrong);
    } else if (a.format === 'avb-vbmeta') {
      const sig: 'verified' | 'failed' | 'unsigned' | 'unverifiable' | undefined = a.info.signature;
      // @ts-expect-error a boot image key on a vbmeta
      out.push(a.info.patchLevel, sig);
    } else if (a.format === 'gpt') {
      for (const p of a.info.partitions ?? []) out.push(p.name, p.firstLba, p.typeName);
      // @ts-expect-error a GPT partition has no `number` (an MBR partition has)
      out.push(a.info.partitions?.[0].number);
    } else if (a.format === 'ext4' || a.format === 'erofs') {
      out.push(a.info.directories, a.info.initScripts);
    } else if (a.format === 'zip') {
      out.push(a.info.wholeFileSignature?.signer?.subject);
    } else if (a.format === 'gzip') {
      // Formats without a type of their own: Record<string, unknown>.
      const members: unknown = a.info.members;
      out.push(members);
    }
  }
  return out;
}

/** `ArtifactOf` picks one member. */
export function payloadPartitions(a: ArtifactOf<'ota-payload'>): string[] {
  return (a.info.partitions ?? []).map((p) => p.name);
}

/** Untyped formats share one member. */
export function untyped(a: ArtifactOf<'dtbo'>): Record<string, unknown> {
  return a.info;
}
