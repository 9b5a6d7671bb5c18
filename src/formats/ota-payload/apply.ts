/**
 * What an incremental payload needs of its base build, checked before its
 * partitions are rebuilt (delta.ts): each partition's old image is found in
 * `--base`, its size and SHA-256 compared with old_partition_info, and each
 * operation's source blocks with its src_sha256_hash, in order, as
 * update_engine does before it writes anything. The first operation whose
 * source differs stops that partition; the others still apply.
 */
import { createHash } from 'node:crypto';
import { RomscopeError } from '../../io/errors';
import type { BaseBuild, BaseImage, DecodeContext } from '../types';
import { opTypeName, type DeltaArchiveManifest } from './manifest';
import { ExtentReader, appliesSource, notAppliedReason } from './delta';

/** Partitions named one by one in the message of a payload without its base; the rest are counted. */
const LISTED_PARTITIONS = 20;

/** Operation types an incremental payload uses, per partition: "system (12 SOURCE_COPY, 3 SOURCE_BSDIFF)". */
function operationsOf(m: DeltaArchiveManifest): string {
  const parts = m.partitions.map((p) => {
    const counts = new Map<string, number>();
    for (const op of p.operations) counts.set(opTypeName(op.type), (counts.get(opTypeName(op.type)) ?? 0) + 1);
    return `${p.name} (${[...counts].map(([t, n]) => `${n} ${t}`).join(', ') || 'no operations'})`;
  });
  const more = parts.length - LISTED_PARTITIONS;
  return parts.slice(0, LISTED_PARTITIONS).join('; ') + (more > 0 ? `; and ${more} more partitions` : '');
}

/** The finding of an incremental payload checked without `--base`. */
export function describeDelta(m: DeltaArchiveManifest, build?: BaseBuild): string {
  const needs = [build?.preBuild && `pre-build ${build.preBuild}`, build?.preBuildIncremental && `pre-build-incremental ${build.preBuildIncremental}`, build?.preTimestamp && `pre-timestamp ${build.preTimestamp}`].filter(
    Boolean,
  );
  const types = new Set(m.partitions.flatMap((p) => p.operations.map((o) => opTypeName(o.type))));
  return (
    `payload.bin is an incremental (delta) payload: it patches the partitions of one base build${needs.length ? ` (the package's metadata names it: ${needs.join(', ')})` : ' (the package names none: no OTA metadata came with it)'}, ` +
    `using ${[...types].join(', ')}: ${operationsOf(m)}. Its partitions cannot be rebuilt or checked without that build: pass it with --base (its full OTA, factory package, super image or a directory of its images)`
  );
}

export interface BaseCheck {
  /** The base image of each partition that applies (by partition index). */
  images: Map<number, BaseImage>;
  /** Per partition: where its base image was found and what was checked. */
  info: Record<string, unknown>[];
}

/** SHA-256 of [0, size) of a base image; null when it is shorter. */
async function headHash(img: BaseImage, size: number): Promise<string | null> {
  if (img.source.size < size) return null;
  const h = createHash('sha256');
  for await (const c of img.source.stream(0, size)) h.update(c);
  return h.digest('hex');
}

export async function applyDelta(
  m: DeltaArchiveManifest,
  ctx: DecodeContext,
  plan: { blockers: Map<number, string>; quiet: Set<number>; notApplied: Map<number, Map<string, { op: number; count: number }>> },
): Promise<BaseCheck> {
  const base = ctx.base!;
  const images = new Map<number, BaseImage>();
  const info: Record<string, unknown>[] = [];
  const bs = m.blockSize;
  for (let pi = 0; pi < m.partitions.length; pi++) {
    const p = m.partitions[pi];
    const row: Record<string, unknown> = { partition: p.name };
    info.push(row);
    const block = (why: string) => {
      if (plan.blockers.has(pi)) return;
      plan.blockers.set(pi, why);
      plan.quiet.add(pi);
    };
    for (const [t, { op, count }] of plan.notApplied.get(pi) ?? []) {
      const type = p.operations[op].type;
      ctx.fact({
        kind: 'unsupported',
        message: `partition ${p.name} operation ${op} (${t})${count > 1 ? ` and ${count - 1} more ${t} operations` : ''}: cannot apply: ${notAppliedReason(type)}. ${p.name} is not rebuilt, so its SHA-256 is not checked`,
      });
    }
    if (!p.oldInfo) {
      row.base = 'not needed: the partition has no old_partition_info (its operations read no source)';
      if (!p.operations.some((o) => appliesSource(o.type))) continue;
    }
    const oldSize = p.oldInfo?.size ?? 0;
    let img: BaseImage | null;
    try {
      img = await base.find(p.name);
    } catch (e) {
      if (!(e instanceof RomscopeError)) throw e;
      img = null;
      row.error = e.message;
    }
    if (!img) {
      const blind = base.unsearched?.() ?? [];
      const more = blind.length ? `; not searched: ${blind.slice(0, 3).join('; ')}${blind.length > 3 ? ` and ${blind.length - 3} more` : ''}` : '';
      ctx.fact({
        kind: 'payload-base',
        message: `partition ${p.name}: the base ${base.label} has no ${p.name} image (looked for ${p.name}.img, ${p.name}, ${p.name}_a.img... in its packages, payloads and partition tables${more})`,
      });
      block(`the base has no ${p.name} image`);
      continue;
    }
    row.path = img.path;
    row.size = img.source.size;
    if (p.oldInfo?.hash?.length === 32) {
      const want = p.oldInfo.hash.toString('hex');
      const got = await headHash(img, oldSize);
      row.sha256 = got ?? undefined;
      if (got === null) {
        ctx.fact({ kind: 'payload-base', message: `partition ${p.name}: the base's image (${img.path}) is ${img.source.size} bytes, old_partition_info says ${oldSize} (SHA-256 ${want})` });
      } else if (got !== want) {
        ctx.fact({
          kind: 'payload-base',
          message: `partition ${p.name}: the base's image (${img.path}) is not the one this payload patches: the SHA-256 of its first ${oldSize} bytes is ${got}, old_partition_info says ${want}`,
          algo: 'sha256',
          expected: want,
          actual: got,
        });
      } else {
        ctx.fact({ kind: 'payload-base-ok', message: `partition ${p.name}: the base's image (${img.path}) matches old_partition_info (${oldSize} bytes, SHA-256 ${want})` });
      }
    }
    if (plan.blockers.has(pi)) continue;
    // Each operation's source, in order: update_engine stops at the first that differs.
    let checked = 0;
    let failed = false;
    for (let oi = 0; oi < p.operations.length && !failed; oi++) {
      const op = p.operations[oi];
      if (!appliesSource(op.type) || !op.srcHash) continue;
      const what = `partition ${p.name} operation ${oi} (${opTypeName(op.type)})`;
      try {
        const got = await new ExtentReader(img.source, op.src, bs, what).sha256();
        const want = op.srcHash.toString('hex');
        checked++;
        if (got !== want) {
          ctx.fact({
            kind: 'payload-base',
            message: `${what}: the SHA-256 of its source blocks in the base (${img.path}) is ${got}, its src_sha256_hash says ${want}; update_engine stops here, so ${p.name} is not rebuilt`,
            algo: 'sha256',
            expected: want,
            actual: got,
          });
          block(`operation ${oi}'s source blocks differ from the base it was made for`);
          failed = true;
        }
      } catch (e) {
        if (!(e instanceof RomscopeError)) throw e;
        ctx.fact({ kind: 'payload-base', message: `${what}: ${e.message}; ${p.name} is not rebuilt` });
        block(`operation ${oi}'s source blocks are not in the base`);
        failed = true;
      }
    }
    row.sourceHashesChecked = checked;
    if (!failed) images.set(pi, img);
  }
  return { images, info };
}
