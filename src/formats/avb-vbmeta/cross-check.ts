/**
 * After the walk, before the rules: what vbmeta images say about the rest of
 * the package (FORMATS.md §5.4 step 7, §5.6, §5.8).
 *
 * 1. A streamed image whose footer the walk saw at its end gets its `vbmeta`
 *    child now (its bytes are read again through the `reread` capability).
 * 2. Chains: a chain partition descriptor's key must be the key that signed
 *    the chained vbmeta found in the package (`vbmeta_system.img`, the footer
 *    of `boot.img`...).
 * 3. Digests: every hash and hashtree descriptor is checked against the
 *    package's image of that partition (zip or tar members `<name>.img`, the
 *    `raw` view of a sparse image, logical partitions `<name>` / `<name>_a`,
 *    GPT partitions, an image's own footer). Results computed in the walk
 *    (an image against its own footer, in its hashing pass) are reused; any
 *    other image is streamed once through `reread`, for all the descriptors
 *    that need it, and the bytes read are charged to the budget.
 * 4. Roles: each vbmeta is marked top-level, chained, covered (a footer
 *    vbmeta whose image another vbmeta's descriptor checks) or a GKI boot
 *    signature, which the summary and signature/avb-unsigned read.
 *
 * 5. Rollback index: a vbmeta that is no GKI boot signature gives its
 *    rollback index as a build fact (src/compat/declarations.ts).
 *
 * All results are facts on the vbmeta image whose descriptor was checked.
 * Vbmeta images and footers are read from their typed models (VbmetaModel,
 * FooterModel), not from their JSON info. The pipeline passes in how to read
 * an artifact's bytes again and how to walk new bytes (src/pipeline/inspect.ts).
 */
import { BudgetError } from '../../io/errors';
import type { Budget } from '../../io/limits';
import { BufferSource, type Source } from '../../io/source';
import { childPath, walkArtifacts, type Artifact, type Fact } from '../../report/model';
import { computationKey, digestUnsupported, startComputation, type DigestComputation } from './digest';
import { digestFact, expectedDigest, isDigestDescriptor, shortImageFact, type DigestDescriptor } from './check';
import { rollbackIndexFact, vbmetaModel } from './index';
import { describeKey } from './signature';
import type { Located } from './structs';
import { footerModel, ownDescriptors, vbmetaRange } from '../avb-footer/image';
import { errorToFact } from '../../pipeline/streams';
import { isCompression, traitsOf } from '../registry';

/** The bytes of an artifact of the tree, read again (a file, a member, a decoded stream); `release` frees what reading them took. */
export type Reread = (artifactPath: string) => Promise<{ source: Source; release: () => Promise<void> }>;
/** Walks new bytes as a child artifact (detect, decode, hash), as the walk does. */
export type WalkChild = (node: { source: Source; name: string; path: string; depth: number }) => Promise<Artifact>;

export interface AvbCrossCheckOptions {
  budget: Budget;
  reread: Reread;
  walk: WalkChild;
  /** `--no-hash`: no image is read again to compute a descriptor's digest (chains and roles are still settled). */
  noDigests?: boolean;
}

const IMAGE_NAME = /^(.+?)(?:#\d+)?\.(img|bin|elf|mbn)$/i;

export type VbmetaRole = 'top-level' | 'chained' | 'covered' | 'gki-boot-signature';

interface Vbmeta {
  art: Artifact;
  /** The image this vbmeta is the footer of. */
  image: Artifact | null;
  gki: boolean;
  descriptors: Located[];
  chained: boolean;
  covered: boolean;
}

interface Job {
  vb: Vbmeta;
  d: DigestDescriptor;
  image: Artifact;
  own: boolean;
}

export async function crossCheckAvb(root: Artifact, opts: AvbCrossCheckOptions): Promise<void> {
  const parents = new Map<Artifact, Artifact>();
  const depth = new Map<Artifact, number>([[root, 0]]);
  const index = (a: Artifact) => {
    for (const c of a.children) {
      parents.set(c, a);
      depth.set(c, depth.get(a)! + 1);
      index(c);
    }
  };
  index(root);
  if (![...walkArtifacts(root)].some((a) => a.format === 'avb-vbmeta' || a.format === 'avb-footer')) return;

  const late = opts.noDigests ? new Set<Artifact>() : await readStreamedFooters(root, opts, depth);
  index(root);

  const vbmetas: Vbmeta[] = [];
  for (const a of walkArtifacts(root)) {
    if (a.format !== 'avb-vbmeta') continue;
    const parent = parents.get(a) ?? null;
    const isFooter = a.name === 'vbmeta' && !!parent?.children.some((c) => c.name === 'avb_footer');
    vbmetas.push({
      art: a,
      image: isFooter ? parent : null,
      gki: a.name === 'boot_signature' && parent?.format === 'android-boot',
      descriptors: vbmetaModel(a)?.descriptors ?? [],
      chained: false,
      covered: false,
    });
  }
  const images = imageIndex(root, parents);
  const byArtifact = new Map(vbmetas.map((v) => [v.art, v]));
  const vbmetaOf = (a: Artifact): Vbmeta | undefined => byArtifact.get(a) ?? byArtifact.get(a.children.find((c) => c.name === 'vbmeta' && c.format === 'avb-vbmeta')!);

  // Chains (FORMATS.md §5.4 step 7): only the main vbmeta may chain, and the chained key must match.
  for (const vb of vbmetas) {
    if (vb.gki) continue;
    for (const d of vb.descriptors) {
      if (d.type !== 'chain-partition') continue;
      const partition = d.partition;
      const want = describeKey(d.publicKey);
      for (const target of candidates(images, partition, vb)) {
        const fact = (ok: boolean, message: string): void =>
          void vb.art.facts.push({ kind: ok ? 'avb-chain-key-ok' : 'avb-chain-key', message, partition, image: target.path, rollbackIndexLocation: d.rollbackIndexLocation });
        const chained = vbmetaOf(target);
        if (!chained) {
          fact(false, `the chain partition descriptor for "${partition}" needs a signed vbmeta in ${show(target)}, which has none (no AVB footer)`);
          continue;
        }
        if (chained === vb) continue;
        chained.chained = true;
        ((chained.art.info.chainedBy ??= []) as unknown[]).push({ vbmeta: vb.art.path, partition, rollbackIndexLocation: d.rollbackIndexLocation });
        const model = vbmetaModel(chained.art);
        const got = model?.publicKey;
        const status = model?.signature;
        if (status === 'unsigned') fact(false, `the chain partition descriptor for "${partition}" expects a signature by key sha1 ${want.sha1}; ${show(chained.art)} is not signed`);
        else if (!got) fact(false, `the chain partition descriptor for "${partition}" expects key sha1 ${want.sha1}; ${show(chained.art)} has no usable public key`);
        else if (got.sha256 !== want.sha256) fact(false, `the chain partition descriptor for "${partition}" expects key sha1 ${want.sha1}; ${show(chained.art)} is signed with key sha1 ${got.sha1}`);
        else fact(true, `${show(chained.art)} is signed with the key the chain partition descriptor for "${partition}" names (sha1 ${got.sha1}); rollback index location ${d.rollbackIndexLocation}`);
        // libavb (avb_slot_verify.c) refuses a chained vbmeta with flags, or one that chains further.
        const flags = model?.flags ?? 0;
        if (flags !== 0) chained.art.facts.push({ kind: 'avb-invalid', message: `chained from ${show(vb.art)} but has flags ${flags}; libavb refuses flags in a chained vbmeta` });
        if ((chained.descriptors ?? []).some((x) => x.type === 'chain-partition'))
          chained.art.facts.push({ kind: 'avb-invalid', message: `chained from ${show(vb.art)} but has chain partition descriptors itself; libavb allows them only in the main vbmeta` });
      }
    }
  }

  // Digests.
  const jobs: Job[] = [];
  for (const vb of vbmetas) {
    if (vb.gki) continue;
    // A persistent digest (empty) lives on the device: nothing to compare.
    const digestDescs = vb.descriptors.filter(isDigestDescriptor).filter((d) => expectedDigest(d).length > 0);
    const own = vb.image ? new Set(ownDescriptors(digestDescs, vb.image.name)) : new Set<DigestDescriptor>();
    for (const d of digestDescs) {
      if (own.has(d)) {
        jobs.push({ vb, d, image: vb.image!, own: true });
        continue;
      }
      for (const target of candidates(images, d.partition, vb)) {
        if (target === vb.image || target.format === 'avb-vbmeta') continue;
        jobs.push({ vb, d, image: target, own: false });
        const footer = vbmetaOf(target);
        if (footer && footer !== vb) {
          footer.covered = true;
          for (const f of footer.art.facts) if (f.kind === 'avb-unsigned') ((f.coveredBy ??= []) as string[]).push(`${show(vb.art)} (${d.type} descriptor for "${d.partition}")`);
        }
      }
    }
  }
  const known = computedDigests(vbmetas);
  const pending = new Map<Artifact, Job[]>();
  for (const j of jobs) {
    const key = computationKey(j.d);
    if (j.own && !late.has(j.vb.art)) continue; // checked in the walk, in the image's hashing pass
    const fields = { image: j.image.path, ...(j.own ? { own: true } : {}) };
    const name = j.own ? 'the image this vbmeta is the footer of' : show(j.image);
    const reuse = known.get(`${j.image.path}|${key}`);
    if (reuse) {
      j.vb.art.facts.push(digestFact(j.d, reuse, name, fields));
      continue;
    }
    if (j.image.size === null || j.image.info.incomplete) continue; // its own facts say why it could not be read
    if (j.d.imageSize > BigInt(j.image.size)) {
      j.vb.art.facts.push(shortImageFact(j.d, j.image.size, name, fields));
      continue;
    }
    const why = digestUnsupported(j.d);
    if (why) {
      j.vb.art.facts.push({ kind: 'unsupported', message: `the ${j.d.type} descriptor for "${j.d.partition}" is not checked against ${name}: ${why}`, offset: j.d.offset });
      continue;
    }
    const list = pending.get(j.image);
    if (list) list.push(j);
    else pending.set(j.image, [j]);
  }
  if (!opts.noDigests) for (const [image, list] of pending) await computeForImage(image, list, opts);

  for (const vb of vbmetas) {
    vb.art.info.role = (vb.gki ? 'gki-boot-signature' : vb.chained ? 'chained' : vb.covered ? 'covered' : 'top-level') satisfies VbmetaRole;
    const model = vbmetaModel(vb.art);
    if (!vb.gki && model) vb.art.facts.push(rollbackIndexFact(model.rollbackIndex, model.rollbackIndexLocation));
  }
}

function show(a: Artifact): string {
  return a.path === '' ? `"${a.name}"` : `"${a.path}"`;
}

/** Digests already computed (in the walk, against an image's own footer): image path | computation → digest. */
function computedDigests(vbmetas: Vbmeta[]): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const vb of vbmetas) {
    for (const f of vb.art.facts) {
      if (typeof f.computed !== 'string' || typeof f.key !== 'string') continue;
      const image = typeof f.image === 'string' ? f.image : f.own && vb.image ? vb.image.path : null;
      if (image !== null) out.set(`${image}|${f.key}`, Buffer.from(f.computed, 'hex'));
    }
  }
  return out;
}

/**
 * Partition images by partition name: `<name>.img` (also .bin, .elf, .mbn)
 * anywhere except inside a ramdisk, the `raw` view of a sparse one,
 * logical and GPT partitions by name; `_a`/`_b` names also count for the
 * name without the suffix.
 */
function imageIndex(root: Artifact, parents: Map<Artifact, Artifact>): Map<string, Artifact[]> {
  const out = new Map<string, Artifact[]>();
  const add = (name: string, a: Artifact) => {
    for (const k of new Set([name, name.replace(/_[ab]$/, '')])) {
      const list = out.get(k) ?? [];
      if (!list.includes(a)) list.push(a);
      out.set(k, list);
    }
  };
  const visit = (a: Artifact) => {
    if (traitsOf(a.format)?.role === 'ramdisk') return; // files of a ramdisk are not partition images
    const parent = parents.get(a);
    if (parent && traitsOf(parent.format)?.role === 'partition-table') add(a.name, a);
    else {
      const m = IMAGE_NAME.exec(a.name.split('/').pop() ?? a.name);
      if (m && !isCompression(a.format)) {
        if (a.format === 'android-sparse') {
          const raw = a.children.find((c) => c.name === 'raw');
          if (raw) add(m[1], raw);
        } else add(m[1], a);
      }
    }
    for (const c of a.children) visit(c);
  };
  visit(root);
  return out;
}

/** Slot of a vbmeta (`vbmeta_a.img`, the footer of `boot_b`), to prefer the images of the same slot. */
function slotOf(vb: Vbmeta): string | null {
  const m = /_([ab])$/.exec(partitionStemOf(vb.image ?? vb.art));
  return m ? m[1] : null;
}

function partitionStemOf(a: Artifact): string {
  return a.name === 'raw'
    ? ''
    : a.name
        .split('/')
        .pop()!
        .replace(/#\d+$/, '')
        .replace(/\.(img|bin|elf|mbn)$/i, '');
}

function candidates(images: Map<string, Artifact[]>, partition: string, vb: Vbmeta): Artifact[] {
  const all = images.get(partition) ?? [];
  const slot = slotOf(vb);
  if (!slot) return all;
  const same = all.filter((a) => partitionStemOf(a).endsWith(`_${slot}`));
  return same.length ? same : all.filter((a) => !/_[ab]$/.test(partitionStemOf(a)));
}

/** Streams one image once for every descriptor that needs it (each computation once), then records the facts. */
async function computeForImage(image: Artifact, jobs: Job[], opts: AvbCrossCheckOptions): Promise<void> {
  const comps = new Map<string, { end: number; c: DigestComputation; result?: Buffer }>();
  for (const j of jobs) {
    const key = computationKey(j.d);
    if (!comps.has(key)) comps.set(key, { end: Number(j.d.imageSize), c: startComputation(j.d) });
  }
  const total = Math.max(...[...comps.values()].map((x) => x.end));
  const failAll = (f: Fact) => {
    for (const vb of new Set(jobs.map((j) => j.vb))) vb.art.facts.push({ ...f, message: `${show(image)} not checked against its descriptors: ${f.message}` });
  };
  try {
    opts.budget.chargeExpanded(total);
  } catch (e) {
    if (!(e instanceof BudgetError)) throw e;
    return failAll({ kind: 'budget', message: e.message });
  }
  let loc;
  try {
    loc = await opts.reread(image.path);
  } catch (e) {
    return failAll(errorToFact(e));
  }
  try {
    let pos = 0;
    const stream = loc.source.kind === 'random' ? loc.source.stream(0, total) : loc.source.stream();
    for await (const chunk of stream) {
      for (const x of comps.values()) {
        if (pos >= x.end) continue;
        x.c.update(pos + chunk.length <= x.end ? chunk : chunk.subarray(0, x.end - pos));
      }
      pos += chunk.length;
      if (pos >= total) break;
    }
    if (pos < total) return failAll({ kind: 'truncated', message: `only ${pos} of the ${total} bytes needed could be read` });
  } catch (e) {
    return failAll(errorToFact(e));
  } finally {
    await loc.release();
  }
  for (const x of comps.values()) x.result = x.c.finish();
  for (const j of jobs) {
    const name = j.own ? 'the image this vbmeta is the footer of' : show(image);
    j.vb.art.facts.push(digestFact(j.d, comps.get(computationKey(j.d))!.result!, name, { image: image.path, ...(j.own ? { own: true } : {}) }));
  }
}

/**
 * Step 1: the vbmeta of a streamed image, whose footer the walk only saw at
 * the image's end (and any footer whose vbmeta the walk did not find: the
 * bytes it points at are read again, and reported when they are no vbmeta).
 */
async function readStreamedFooters(root: Artifact, opts: AvbCrossCheckOptions, depth: Map<Artifact, number>): Promise<Set<Artifact>> {
  const added = new Set<Artifact>();
  for (const a of [...walkArtifacts(root)]) {
    const footer = a.children.find((c) => c.name === 'avb_footer' && c.format === 'avb-footer');
    if (!footer || a.children.some((c) => c.name === 'vbmeta') || a.size === null || a.format === 'android-boot') continue;
    const f = footerModel(footer);
    const at = f && vbmetaRange(f, a.size);
    if (!at) continue;
    let loc;
    try {
      opts.budget.chargeExpanded(at.offset + at.size);
      loc = await opts.reread(a.path);
    } catch (e) {
      footer.facts.push(errorToFact(e, 'reading the vbmeta the footer points at'));
      continue;
    }
    const parts: Buffer[] = [];
    let pos = 0;
    try {
      const s = loc.source.kind === 'random' ? loc.source.stream(at.offset, at.offset + at.size) : loc.source.stream();
      if (loc.source.kind === 'random') pos = at.offset;
      for await (const c of s) {
        const from = Math.max(at.offset, pos);
        const to = Math.min(at.offset + at.size, pos + c.length);
        if (to > from) parts.push(c.subarray(from - pos, to - pos));
        pos += c.length;
        if (pos >= at.offset + at.size) break;
      }
    } catch (e) {
      footer.facts.push(errorToFact(e, 'reading the vbmeta the footer points at'));
      continue;
    } finally {
      await loc.release();
    }
    const bytes = Buffer.concat(parts);
    if (bytes.length !== at.size) continue;
    if (bytes.toString('latin1', 0, 4) !== 'AVB0') {
      footer.facts.push({ kind: 'avb-invalid', message: `the footer points at offset ${at.offset}, where there is no vbmeta image (no AVB0 magic)`, offset: 20 });
      continue;
    }
    const vbmeta = await opts.walk({ source: new BufferSource(bytes, 'vbmeta'), name: 'vbmeta', path: childPath(a.path, 'vbmeta'), depth: (depth.get(a) ?? 0) + 1 });
    a.children.push(vbmeta);
    added.add(vbmeta);
  }
  return added;
}
