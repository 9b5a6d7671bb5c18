/**
 * After the walk, before the rules: what vbmeta images say about the rest of
 * the package (FORMATS.md §5.4 step 7, §5.6, §5.8).
 *
 * 1. A streamed image whose footer the walk saw at its end gets its `vbmeta`
 *    child now (its bytes are read again through locate()).
 * 2. Chains: a chain partition descriptor's key must be the key that signed
 *    the chained vbmeta found in the package (`vbmeta_system.img`, the footer
 *    of `boot.img`...).
 * 3. Digests: every hash and hashtree descriptor is checked against the
 *    package's image of that partition (zip or tar members `<name>.img`, the
 *    `raw` view of a sparse image, logical partitions `<name>` / `<name>_a`,
 *    GPT partitions, an image's own footer). Results computed in the walk
 *    (an image against its own footer, in its hashing pass) are reused; any
 *    other image is streamed once through locate(), for all the descriptors
 *    that need it, and the bytes read are charged to the budget.
 * 4. Roles: each vbmeta is marked top-level, chained, covered (a footer
 *    vbmeta whose image another vbmeta's descriptor checks) or a GKI boot
 *    signature, which the summary and signature/avb-unsigned read.
 *
 * All results are facts on the vbmeta image whose descriptor was checked.
 */
import { BudgetError } from '../io/errors';
import type { Budget } from '../io/limits';
import { BufferSource, type RandomSource } from '../io/source';
import { childPath, walkArtifacts, type Artifact, type Fact } from '../report/model';
import { computationKey, digestUnsupported, startComputation, type DigestComputation } from '../formats/avb-vbmeta/digest';
import { digestFact, shortImageFact, type DigestDescriptor } from '../formats/avb-vbmeta/check';
import { ownDescriptors, vbmetaRange } from '../formats/avb-footer/image';
import { locate } from './locate';
import { errorToFact } from './streams';
import type { Walker } from './walk';

export interface AvbVerifyOptions {
  budget: Budget;
  walker: Walker;
  tempDir?: string;
}

const TRANSFORMS = new Set(['lz4', 'gzip', 'xz', 'zstd', 'bzip2', 'lzma', 'lzop', 'brotli']);
const IMAGE_NAME = /^(.+?)(?:#\d+)?\.(img|bin|elf|mbn)$/i;

export type VbmetaRole = 'top-level' | 'chained' | 'covered' | 'gki-boot-signature';

interface Vbmeta {
  art: Artifact;
  /** The image this vbmeta is the footer of. */
  image: Artifact | null;
  gki: boolean;
  descriptors: Record<string, unknown>[];
  chained: boolean;
  covered: boolean;
}

interface Job {
  vb: Vbmeta;
  d: DigestDescriptor;
  image: Artifact;
  own: boolean;
}

export async function verifyAvb(root: Artifact, input: RandomSource, opts: AvbVerifyOptions): Promise<void> {
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

  const late = await readStreamedFooters(root, input, opts, depth);
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
      descriptors: Array.isArray(a.info.descriptors) ? (a.info.descriptors as Record<string, unknown>[]) : [],
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
      const partition = String(d.partition);
      const want = d.publicKey as { sha1: string; sha256: string };
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
        const got = chained.art.info.publicKey as { sha1: string; sha256: string } | undefined;
        const status = chained.art.info.signature;
        if (status === 'unsigned') fact(false, `the chain partition descriptor for "${partition}" expects a signature by key sha1 ${want.sha1}; ${show(chained.art)} is not signed`);
        else if (!got) fact(false, `the chain partition descriptor for "${partition}" expects key sha1 ${want.sha1}; ${show(chained.art)} has no usable public key`);
        else if (got.sha256 !== want.sha256) fact(false, `the chain partition descriptor for "${partition}" expects key sha1 ${want.sha1}; ${show(chained.art)} is signed with key sha1 ${got.sha1}`);
        else fact(true, `${show(chained.art)} is signed with the key the chain partition descriptor for "${partition}" names (sha1 ${got.sha1}); rollback index location ${d.rollbackIndexLocation}`);
        // libavb (avb_slot_verify.c) refuses a chained vbmeta with flags, or one that chains further.
        if (Number(chained.art.info.flags) !== 0)
          chained.art.facts.push({ kind: 'avb-invalid', message: `chained from ${show(vb.art)} but has flags ${chained.art.info.flags}; libavb refuses flags in a chained vbmeta` });
        if ((chained.descriptors ?? []).some((x) => x.type === 'chain-partition'))
          chained.art.facts.push({ kind: 'avb-invalid', message: `chained from ${show(vb.art)} but has chain partition descriptors itself; libavb allows them only in the main vbmeta` });
      }
    }
  }

  // Digests.
  const jobs: Job[] = [];
  for (const vb of vbmetas) {
    if (vb.gki) continue;
    const digestDescs = vb.descriptors.map(toDigestDescriptor).filter((d): d is DigestDescriptor => d !== null);
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
  for (const [image, list] of pending) await computeForImage(image, list, input, opts);

  for (const vb of vbmetas) vb.art.info.role = (vb.gki ? 'gki-boot-signature' : vb.chained ? 'chained' : vb.covered ? 'covered' : 'top-level') satisfies VbmetaRole;
}

function show(a: Artifact): string {
  return a.path === '' ? `"${a.name}"` : `"${a.path}"`;
}

/** A hash or hashtree descriptor back from the vbmeta's info (the JSON form is the single source). */
function toDigestDescriptor(d: Record<string, unknown>, index: number): DigestDescriptor | null {
  if (d.type !== 'hash' && d.type !== 'hashtree') return null;
  const expected = Buffer.from(String((d.type === 'hash' ? d.digest : d.rootDigest) ?? ''), 'hex');
  if (expected.length === 0) return null; // persistent digest: lives on the device
  const common = {
    index,
    offset: Number(d.offset),
    partition: String(d.partition),
    imageSize: BigInt(d.imageSize as number | string),
    hashAlgorithm: String(d.hashAlgorithm),
    salt: Buffer.from(String(d.salt), 'hex'),
    flags: Number(d.flags),
  };
  if (d.type === 'hash') return { type: 'hash', ...common, digest: expected };
  return {
    type: 'hashtree',
    ...common,
    rootDigest: expected,
    dataBlockSize: Number(d.dataBlockSize),
    hashBlockSize: Number(d.hashBlockSize),
    dmVerityVersion: Number(d.dmVerityVersion),
    treeOffset: BigInt(d.treeOffset as number | string),
    treeSize: BigInt(d.treeSize as number | string),
    fecNumRoots: Number(d.fecNumRoots),
    fecOffset: BigInt(d.fecOffset as number | string),
    fecSize: BigInt(d.fecSize as number | string),
  };
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
    if (a.format === 'cpio') return; // files of a ramdisk are not partition images
    const parent = parents.get(a);
    if (parent && (parent.format === 'lp-metadata' || parent.format === 'gpt')) add(a.name, a);
    else {
      const m = IMAGE_NAME.exec(a.name.split('/').pop() ?? a.name);
      if (m && !TRANSFORMS.has(a.format)) {
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
async function computeForImage(image: Artifact, jobs: Job[], input: RandomSource, opts: AvbVerifyOptions): Promise<void> {
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
    loc = await locate(input, image.path, opts.tempDir);
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
async function readStreamedFooters(root: Artifact, input: RandomSource, opts: AvbVerifyOptions, depth: Map<Artifact, number>): Promise<Set<Artifact>> {
  const added = new Set<Artifact>();
  for (const a of [...walkArtifacts(root)]) {
    const footer = a.children.find((c) => c.name === 'avb_footer' && c.format === 'avb-footer');
    if (!footer || a.children.some((c) => c.name === 'vbmeta') || a.size === null || a.format === 'android-boot') continue;
    const at = vbmetaRangeFromInfo(footer, a.size);
    if (!at) continue;
    let loc;
    try {
      opts.budget.chargeExpanded(at.offset + at.size);
      loc = await locate(input, a.path, opts.tempDir);
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
    const vbmeta = await opts.walker.walk({ source: new BufferSource(bytes, 'vbmeta'), name: 'vbmeta', path: childPath(a.path, 'vbmeta'), depth: (depth.get(a) ?? 0) + 1 });
    a.children.push(vbmeta);
    added.add(vbmeta);
  }
  return added;
}

function vbmetaRangeFromInfo(footer: Artifact, imageSize: number): { offset: number; size: number } | null {
  const i = footer.info;
  if (typeof i.version !== 'string') return null;
  const [major, minor] = i.version.split('.').map(Number);
  const big = (v: unknown) => BigInt(v as number | string);
  return vbmetaRange({ major, minor, originalImageSize: big(i.originalImageSize), vbmetaOffset: big(i.vbmetaOffset), vbmetaSize: big(i.vbmetaSize) }, imageSize);
}
