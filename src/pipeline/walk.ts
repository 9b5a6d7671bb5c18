/**
 * The walk: open → detect → decode → recurse, under a budget. Every
 * artifact's bytes are hashed as they stream past; each decode problem
 * becomes a fact on the artifact it concerns, and the walk goes on.
 */
import { LIMITS, Budget } from '../io/limits';
import type { HashAlgo } from '../io/hash';
import { DigestSet, type RangeTap, rangeDigestTap } from '../io/digest-set';
import { StreamReader } from '../io/stream-reader';
import { spillToRandom, type Spilled } from '../io/spill';
import { BudgetError } from '../io/errors';
import { readWhole, type RandomSource, type Source } from '../io/source';
import { detectFormat } from '../formats/registry';
import type { ChildSpec, DecodeContext, FormatHandler } from '../formats/types';
import { looksLikeChecksumFileName, parseChecksumFile } from '../formats/checksum-file';
import { newArtifact, childPath, type Artifact, type ExpectedDigest, type Fact } from '../report/model';
import { errorToFact, tap, Shielded, OneShotSource } from './streams';
import { findSplitGroups, joinSplitGroup } from './split-images';
import { findBlockOtas, prepareBlockOta, type BlockOtaImage } from './block-ota';
import type { TrustedKey } from '../crypto/keys';
import { AVB_FOOTER_SIZE, TailKeeper, footerChildren, streamedFooterChildren } from '../formats/avb-footer/image';

export interface WalkOptions {
  hashes: HashAlgo[];
  budget: Budget;
  tempDir?: string;
  /** Called as bytes are read, for progress display. */
  onProgress?: (bytesRead: number, path: string) => void;
  /** Keys signatures are checked against (--key). */
  keys?: TrustedKey[];
}

interface NodeInput {
  source: Source;
  name: string;
  path: string;
  depth: number;
  expect?: ExpectedDigest[];
  facts?: Fact[];
  info?: Record<string, unknown>;
  readable?: boolean;
  /** Keys the parent vouches for (ChildSpec.keys). */
  keys?: TrustedKey[];
}

export class Walker {
  private bytesRead = 0;
  constructor(private readonly opts: WalkOptions) {}

  private progress(n: number, path: string): void {
    this.bytesRead += n;
    this.opts.onProgress?.(this.bytesRead, path);
  }

  async walk(node: NodeInput): Promise<Artifact> {
    const { source, path, depth } = node;
    const art = newArtifact(path, node.name, source.size);
    art.facts.push(...(node.facts ?? []));
    Object.assign(art.info, node.info ?? {});
    // Facts the decoder records; held aside while a hashing pass runs beside the children's walk.
    let held: Fact[] | null = null;
    const fact = (f: Fact) => void (held ?? art.facts).push(f);
    const ctx: DecodeContext = { budget: this.opts.budget, fact, keys: [...(this.opts.keys ?? []), ...(node.keys ?? [])] };
    const algos = new Set<HashAlgo>(this.opts.hashes);
    const whole = (node.expect ?? []).filter((e) => !e.range);
    for (const e of whole) algos.add(e.algo);
    const digests = new DigestSet(algos);
    for (const e of node.expect ?? []) if (e.range) digests.addRange(expectRange(fact, e, e.range));
    let complete = true;
    const hashing = (input: AsyncIterable<Buffer>) =>
      tap(input, (b) => {
        digests.update(b);
        this.progress(b.length, path);
      });

    if (node.readable === false) {
      art.size = null;
      return art;
    }
    const tooDeep = depth > this.opts.budget.opts.maxDepth;

    // Peek without consuming: random sources read the head, streams are buffered.
    let reader: StreamReader | null = null;
    let peek: Buffer;
    try {
      if (source.kind === 'random') {
        peek = await source.read(0, LIMITS.peekBytes);
      } else {
        reader = new StreamReader(hashing(source.stream()));
        peek = await reader.peek(LIMITS.peekBytes);
      }
    } catch (e) {
      fact(errorToFact(e));
      art.size = null;
      return art;
    }
    let handler: FormatHandler | null = detectFormat({ peek, name: node.name, size: source.size });
    if (handler) art.format = handler.id;
    if (tooDeep && (handler?.kind === 'container' || handler?.kind === 'transform')) {
      // Recognised but not opened: a nesting loop (a zip quine) ends here.
      fact({ kind: 'budget', message: `nested more than ${this.opts.budget.opts.maxDepth} levels deep (limit --max-depth); not decoded` });
      handler = null;
    }
    const rest = (): AsyncIterable<Buffer> => (reader ? reader.rest() : hashing((source as RandomSource).stream()));

    try {
      switch (handler?.kind) {
        case 'container': {
          let spilled: Spilled | null = null;
          let rsrc: RandomSource;
          if (source.kind === 'stream') {
            spilled = await spillToRandom(rest(), node.name, { memoryCap: LIMITS.spillMemoryCap, tempDir: this.opts.tempDir });
            rsrc = spilled.source;
          } else {
            rsrc = source;
          }
          try {
            art.size = rsrc.size;
            let children: ChildSpec[] = [];
            let ranges: RangeTap[] = [];
            let beside = false;
            try {
              const res = await handler.decode(rsrc, ctx);
              if (res.format) art.format = res.format;
              // Keep the handler's object: range-digest callbacks fill it in later.
              art.info = Object.assign(res.info, { ...art.info, ...res.info });
              children = res.children;
              ranges = [...(res.rangeDigests ?? []).map(rangeDigestTap), ...(res.rangeTaps ?? [])];
              beside = !!res.childrenDuringHashPass && !spilled && children.length > 0;
            } catch (e) {
              if (e instanceof BudgetError) throw e;
              fact(errorToFact(e));
            }
            // One pass over the container feeds its own hashes and any range
            // digests; a spilled container was hashed while it was spilled.
            if (beside) {
              const finish = () => this.finishHashes(art, digests, whole, complete, fact);
              art.children = await this.hashBesideChildren(art, rsrc, digests, ranges, children, depth, (h) => (held = h), finish);
              return art;
            }
            if (spilled) {
              if (ranges.length) await this.hashPass(rsrc, new DigestSet([]), ranges, path, false);
            } else await this.hashPass(rsrc, digests, ranges, path, true);
            this.finishHashes(art, digests, whole, complete, fact);
            art.children = await this.walkChildren(art, children, depth);
          } finally {
            await spilled?.release();
          }
          return art;
        }
        case 'transform': {
          const info = handler.headerInfo?.(peek) ?? {};
          const input = new Shielded(rest());
          const childName = handler.childName(node.name, peek);
          this.opts.budget.chargeMember();
          let decodedOk = true;
          const guarded = async function* (): AsyncGenerator<Buffer> {
            try {
              yield* handler.transform(input, ctx, info);
            } catch (e) {
              decodedOk = false;
              fact(errorToFact(e));
            }
          };
          const child = await this.walk({
            source: new OneShotSource(childName, (info.contentSize as number | undefined) ?? null, guarded()),
            name: childName,
            path: childPath(path, childName),
            depth: depth + 1,
          });
          if (!decodedOk) {
            child.info.incomplete = true;
            child.hashes = {};
          }
          try {
            await input.drain();
          } catch (e) {
            complete = false;
            fact(errorToFact(e));
          }
          Object.assign(art.info, info, { decodedSize: child.size });
          art.size = source.size ?? digests.pos;
          art.children = [child];
          this.finishHashes(art, digests, whole, complete, fact);
          return art;
        }
        case 'document': {
          const max = handler.maxBytes ?? LIMITS.maxTextBytes;
          const chunks: Buffer[] = [];
          let n = 0;
          for await (const c of rest()) {
            n += c.length;
            if (n <= max) chunks.push(c);
          }
          art.size = n;
          if (n <= max) Object.assign(art.info, handler.decode(Buffer.concat(chunks), ctx, node.name));
          else fact({ kind: 'unsupported', message: `${n} bytes is more than the ${max} this format is decoded up to` });
          this.finishHashes(art, digests, whole, complete, fact);
          return art;
        }
        default: {
          // Any partition image may end in an AVB footer, whatever its format (FORMATS.md §5.7).
          const avb = source.kind === 'random' ? await footerChildren(source) : null;
          for (const t of avb?.taps ?? []) digests.addTap(t);
          const tail = source.kind === 'stream' ? new TailKeeper(AVB_FOOTER_SIZE) : null;
          for await (const c of rest()) tail?.push(c);
          art.size = digests.pos;
          this.finishHashes(art, digests, whole, complete, fact);
          const footer = avb?.children ?? (tail ? streamedFooterChildren(tail.bytes(), digests.pos) : []);
          if (footer.length) art.children = await this.walkChildren(art, footer, depth);
          return art;
        }
      }
    } catch (e) {
      // A read failure in this artifact's own bytes, or a budget stop.
      fact(errorToFact(e));
      art.info.incomplete = true;
      art.hashes = {};
      return art;
    }
  }

  /**
   * The container's hashing pass and its children's walk at once (a payload:
   * the main thread hashes payload.bin while worker threads decode its
   * partitions). Facts the pass records are held aside and put where a pass
   * run first would have put them, so the report does not depend on timing.
   * A failed pass is thrown after the children are walked (and kept).
   */
  private async hashBesideChildren(
    art: Artifact,
    src: RandomSource,
    digests: DigestSet,
    taps: RangeTap[],
    children: ChildSpec[],
    depth: number,
    hold: (h: Fact[] | null) => void,
    finish: () => void,
  ): Promise<Artifact[]> {
    const held: Fact[] = [];
    const before = art.facts.length;
    hold(held);
    const [pass, walked] = await Promise.allSettled([this.hashPass(src, digests, taps, art.path, true), this.walkChildren(art, children, depth)]);
    hold(null);
    art.facts.splice(before, 0, ...held);
    if (walked.status === 'fulfilled') art.children = walked.value;
    if (pass.status === 'rejected') throw pass.reason;
    // The hashes' own facts follow the pass's, still before anything the children's walk added here.
    const finished: Fact[] = [];
    hold(finished);
    try {
      finish();
    } finally {
      hold(null);
    }
    art.facts.splice(before + held.length, 0, ...finished);
    if (walked.status === 'rejected') throw walked.reason;
    return walked.value;
  }

  /** Streams a random-access source once through a digest set (plus range taps); `whole` covers all bytes. */
  private async hashPass(src: RandomSource, digests: DigestSet, taps: RangeTap[], path: string, whole: boolean): Promise<void> {
    const start = whole ? 0 : Math.min(...taps.map((r) => r.start));
    const end = whole ? src.size : Math.max(...taps.map((r) => r.end));
    digests.pos = start;
    for (const t of taps) digests.addTap(t);
    for await (const c of src.stream(start, end)) {
      digests.update(c);
      if (whole) this.progress(c.length, path);
    }
  }

  /** The artifact's digests, checked against what it is expected to hash to; facts go through `push`. */
  private finishHashes(art: Artifact, digests: DigestSet, expect: ExpectedDigest[], complete: boolean, push: (f: Fact) => void): void {
    if (!complete) {
      art.info.incomplete = true;
      return;
    }
    art.hashes = digests.whole.digest();
    if (art.size === null) art.size = digests.pos;
    if (art.facts.some((f) => f.kind === 'truncated')) return;
    for (const e of expect) checkExpected(push, e, art.hashes[e.algo]);
  }

  private async walkChildren(parent: Artifact, specs: ChildSpec[], depth: number): Promise<Artifact[]> {
    await assignChecksumExpectations(specs);
    // Block OTAs are checked before the walk so findings land on the transfer list.
    const rebuilt: BlockOtaImage[] = [];
    for (const set of findBlockOtas(specs)) {
      try {
        const img = await prepareBlockOta(set, this.opts.budget, this.opts.tempDir);
        if (img) rebuilt.push(img);
      } catch (e) {
        parent.facts.push(errorToFact(e, `rebuilding ${set.part}.img`));
      }
    }
    const out: Artifact[] = [];
    const used = new Set<string>();
    for (const spec of specs) {
      const name = uniqueName(used, spec.name);
      try {
        this.opts.budget.chargeMember();
      } catch (e) {
        parent.facts.push(errorToFact(e));
        break;
      }
      out.push(await this.walkSpec(parent, spec, name, depth));
    }
    for (const img of rebuilt) {
      try {
        out.push(await this.walkSpec(parent, img.spec, uniqueName(used, img.spec.name), depth));
      } finally {
        await img.release();
      }
    }
    // Split sparse images become one more artifact: the joined image.
    for (const group of findSplitGroups(specs)) {
      let joined;
      try {
        joined = await joinSplitGroup(group, this.opts.budget, this.opts.tempDir);
      } catch (e) {
        parent.facts.push(errorToFact(e, `joining ${group.base}`));
        continue;
      }
      if (!joined) continue;
      try {
        out.push(await this.walkSpec(parent, joined.spec, uniqueName(used, joined.spec.name), depth));
      } finally {
        await joined.release();
      }
    }
    return out;
  }

  private walkSpec(parent: Artifact, spec: ChildSpec, name: string, depth: number): Promise<Artifact> {
    return this.walk({
      source: spec.source,
      name,
      path: childPath(parent.path, name),
      depth: depth + 1,
      expect: spec.expect,
      facts: spec.facts,
      info: spec.info,
      readable: spec.readable,
      keys: spec.keys,
    });
  }
}

function dirOf(name: string): string {
  const i = name.lastIndexOf('/');
  return i < 0 ? '' : name.slice(0, i + 1);
}

function normalizeListed(name: string): string {
  return name.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
}

/**
 * Checksum files among the members are read first, so their digests are
 * checked while the members they list stream past (no second read).
 */
async function assignChecksumExpectations(specs: ChildSpec[]): Promise<void> {
  const byName = new Map(specs.map((s) => [s.name, s]));
  for (const cs of specs) {
    if (cs.readable === false || !looksLikeChecksumFileName(cs.name)) continue;
    // Deflated members are streamed once here and once by the walk; they are small by the cap.
    if (cs.source.kind === 'stream' && (cs.source.size ?? Infinity) > LIMITS.maxTextBytes) continue;
    let bytes: Buffer | null;
    try {
      bytes = await readWhole(cs.source, LIMITS.maxTextBytes);
    } catch {
      continue; // the walk reports the unreadable member itself
    }
    if (!bytes) continue;
    const entries = parseChecksumFile(bytes.toString('utf8'), cs.name);
    if (!entries) continue;
    const dir = dirOf(cs.name);
    const stem = cs.name.replace(/\.(md5|sha1|sha256|md5sum|sha1sum|sha256sum)$/i, '');
    for (const e of entries) {
      const listed = e.name === null ? stem : dir + normalizeListed(e.name);
      let target = byName.get(listed);
      if (!target && e.name !== null) {
        const base = normalizeListed(e.name).split('/').pop()!;
        const cands = specs.filter((s) => s.name.split('/').pop() === base && s !== cs);
        if (cands.length === 1) target = cands[0];
      }
      const what = `${cs.name} line ${e.line}`;
      if (!target) {
        (cs.facts ??= []).push({ kind: 'checksum-missing', message: `lists "${e.name ?? listed}", which is not in the package (${what})` });
        continue;
      }
      (target.expect ??= []).push({ algo: e.algo, hex: e.hex, kind: 'checksum-file', from: what });
    }
  }
}

/** Compares a computed digest with an expectation and records the outcome as a fact. */
function checkExpected(push: (f: Fact) => void, e: ExpectedDigest, got: string | undefined): void {
  if (!got) return;
  const where = e.range ? ` of bytes ${e.range.start}-${e.range.end}` : '';
  if (got === e.hex) push({ kind: `${e.kind}-ok`, message: `${e.algo}${where} matches ${e.from}` });
  else push({ kind: e.kind, message: `${e.algo}${where} is ${got}, ${e.from} says ${e.hex}`, algo: e.algo, expected: e.hex, actual: got, offset: e.range?.end });
}

function expectRange(push: (f: Fact) => void, e: ExpectedDigest, range: { start: number; end: number }) {
  return { algo: e.algo, start: range.start, end: range.end, done: (hex: string) => checkExpected(push, e, hex) };
}

/** Artifact paths must be unique to be extractable: a repeated name gets a #n suffix. */
export function uniqueName(used: Set<string>, name: string): string {
  // An empty member name would give the member its container's path.
  const base = name === '' ? '(empty name)' : name;
  let n = base;
  for (let i = 2; used.has(n); i++) n = `${base}#${i}`;
  used.add(n);
  return n;
}
