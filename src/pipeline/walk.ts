/**
 * The walk: open → detect → decode → recurse, under a budget. Every
 * artifact's bytes are hashed as they stream past; each decode problem
 * becomes a fact on the artifact it concerns, and the walk goes on.
 */
import { LIMITS, Budget } from '../io/limits';
import type { HashAlgo } from '../io/hash';
import { DigestSet, type RangeDigest, type RangeTap } from '../io/digest-set';
import { HASH_OFFLOAD_MIN, hashPool } from '../io/hash-pool';
import { PassTee } from '../io/pass-tee';
import { StreamReader } from '../io/stream-reader';
import { spillToRandom, type Spilled } from '../io/spill';
import { BudgetError, MemoryBudgetError } from '../io/errors';
import { BufferSource, originOf, scanRange, type RandomSource, type Source } from '../io/source';
import { TailKeeper } from '../io/tail';
import { detectFormat, TRAILER_HOOKS } from '../formats/registry';
import type { BaseBuild, ChildSpec, DecodeContext, FormatHandler, PartitionBase, RandomView, SiblingContext } from '../formats/types';
import { newArtifact, childPath, type Artifact, type ExpectedDigest, type Fact } from '../report/model';
import { errorToFact, tap, Shielded, OneShotSource } from './streams';
import { childrenOf, namedEntries, trailersOf, type ChildEntry } from './children';
import { sniffContent } from '../formats/sniff';
import type { TrustedKey } from '../crypto/keys';

export interface WalkOptions {
  hashes: HashAlgo[];
  budget: Budget;
  tempDir?: string;
  /** Called as bytes are read, for progress display. */
  onProgress?: (bytesRead: number, path: string) => void;
  /** Keys signatures are checked against (--key). */
  keys?: TrustedKey[];
  /** `--base`: the build incremental payloads are applied to. */
  base?: PartitionBase;
  /**
   * `--no-hash`: read headers and directories only. Nothing is hashed;
   * bytes that only decoding makes (payload partitions, a sparse image's
   * expansion, files of a file system, derived children) are listed, not
   * read; a compressed stream is decoded only as far as detection peeks.
   */
  noHash?: boolean;
}

/** `info.notRead` of an artifact `--no-hash` lists without reading its bytes. */
export const NOT_READ = {
  decoded: `not read (--no-hash): its bytes are made by decoding its container, and there are more than ${LIMITS.noHashDecodeBytes} of them`,
  derived: 'not read (--no-hash): it is built from other members',
  stream: `not opened (--no-hash): it decompresses to more than ${LIMITS.noHashDecodeBytes} bytes, and opening it would decompress it whole`,
  document: `not read (--no-hash): more than the ${LIMITS.maxTextBytes} bytes this format is decoded up to`,
};

/**
 * Whether `--no-hash` reads a source: a stream (only as far as detection
 * peeks), plain bytes of the input file or memory, or a small view whose
 * reads decode (a vbmeta partition of a payload, a build.prop in a file
 * system); not a large one (a system partition, a sparse image's expansion).
 */
function readsPlainly(src: Source): boolean {
  if (src.kind === 'stream' || src instanceof BufferSource || src.size <= LIMITS.noHashDecodeBytes) return true;
  return src.fileRange?.(0, src.size) != null;
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
  /** ChildSpec.open: false when a container or stream is recognised but not opened. */
  open?: boolean;
  /** Keys the parent vouches for (ChildSpec.keys). */
  keys?: TrustedKey[];
  /** ChildSpec.baseBuild. */
  baseBuild?: BaseBuild;
  /** The containers and streams this node lies in, outermost first (for loops: a member that is its container). */
  lineage?: readonly Opened[];
  /** Decode a transform as a stream even where it could be read at random (its random view proved wrong). */
  streamOnly?: boolean;
}

/** An opened container or stream: its format and where its bytes lie. */
interface Opened {
  format: string;
  base: Source;
  offset: number;
  size: number | null;
}

export class Walker {
  private bytesRead = 0;
  /** Each walked artifact's lineage, for its children. */
  private readonly lineage = new WeakMap<Artifact, readonly Opened[]>();
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
    const noHash = !!this.opts.noHash;
    const ctx: DecodeContext = {
      budget: this.opts.budget,
      fact,
      keys: [...(this.opts.keys ?? []), ...(node.keys ?? [])],
      ...(noHash ? { headersOnly: true } : { readsAll: true }),
      ...(this.opts.base ? { base: this.opts.base } : {}),
      ...(node.baseBuild ? { baseBuild: node.baseBuild } : {}),
    };
    const algos = new Set<HashAlgo>(noHash ? [] : this.opts.hashes);
    const whole = noHash ? [] : (node.expect ?? []).filter((e) => !e.range);
    for (const e of whole) algos.add(e.algo);
    // A large artifact's costly digests run on the hashing threads.
    const digests = new DigestSet(algos, !noHash && source.size !== null && source.size >= HASH_OFFLOAD_MIN ? hashPool() : null);
    if (!noHash) for (const e of node.expect ?? []) if (e.range) digests.addRange(expectRange(fact, e, e.range));
    let complete = true;
    const hashing = (input: AsyncIterable<Buffer>) =>
      tap(input, (b) => {
        this.progress(b.length, path);
        return digests.update(b);
      });

    if (node.readable === false) {
      art.size = null;
      return art;
    }
    if (noHash && !readsPlainly(source)) {
      art.info.notRead = NOT_READ.decoded;
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
    if (node.open === false && (handler?.kind === 'container' || handler?.kind === 'transform')) handler = null;
    // A member starting where one of its containers starts, recognised as that container's format (a table
    // entry pointing at the table itself) would open the container again at every level: a loop. No real
    // container keeps a member of its own format at its own first byte (its header is there).
    const here: Opened | null = handler?.kind === 'container' || handler?.kind === 'transform' ? { format: handler.id, ...originOf(source), size: source.size } : null;
    if (here && (node.lineage ?? []).some((a) => a.format === here.format && a.base === here.base && a.offset === here.offset)) {
      fact({ kind: 'unreadable', message: `this member starts where its ${here.format} container does and is read as that container again (a loop); not opened a second time` });
      handler = null;
    }
    this.lineage.set(art, [...(node.lineage ?? []), ...(here ? [here] : [])]);
    const rest = (): AsyncIterable<Buffer> => (reader ? reader.rest() : hashing((source as RandomSource).stream()));

    try {
      switch (handler?.kind) {
        case 'container': {
          // What the decoder keeps (its member list, tables, an in-memory spill) is charged to the
          // memory budget until this container and its children are walked.
          const closeScope = this.opts.budget.memoryScope();
          let spilled: Spilled | null = null;
          let rsrc: RandomSource;
          // The container's pass can ride on its members' reads (a stored member's bytes are read once for both).
          let tee: PassTee | null = null;
          try {
            if (source.kind === 'stream' && noHash) {
              // Only a small one is decoded: the rest would be decompressed whole.
              const head = await reader!.peek(LIMITS.noHashDecodeBytes + 1);
              if (head.length > LIMITS.noHashDecodeBytes) {
                art.size = source.size;
                art.info.notRead = NOT_READ.stream;
                return art;
              }
              rsrc = new BufferSource(head, node.name);
            } else if (source.kind === 'stream') {
              spilled = await spillToRandom(rest(), node.name, { memoryCap: LIMITS.spillMemoryCap, sizeHint: source.size, tempDir: this.opts.tempDir, budget: this.opts.budget });
              rsrc = spilled.source;
            } else {
              rsrc = tee = new PassTee(source, digests, (n) => this.progress(n, path));
            }
            try {
              art.size = rsrc.size;
              let children: ChildSpec[] = [];
              let ranges: (RangeTap | RangeDigest)[] = [];
              let beside = false;
              let resInfo: Record<string, unknown> = {};
              try {
                const res = await handler.decode(rsrc, ctx);
                if (res.format) art.format = res.format;
                resInfo = res.info;
                children = res.children;
                ranges = [...(res.rangeDigests ?? []), ...(res.rangeTaps ?? [])];
                beside = !!res.childrenDuringHashPass && !spilled && children.length > 0;
                // A partition image may end in a trailer its decoder does not read (a dtbo.img's AVB footer).
                if (handler.traits?.avbFooter) {
                  const t = await trailersOf(rsrc, children);
                  children = [...children, ...t.children];
                  ranges.push(...t.taps);
                }
              } catch (e) {
                // A memory stop ends this decoder only: the container is still hashed, and what the decoder charged is released with the scope.
                if (e instanceof BudgetError && !(e instanceof MemoryBudgetError)) throw e;
                fact(errorToFact(e));
              }
              // The member list, what sibling hooks attach to it, and the children they derive.
              const sctx: SiblingContext = {
                budget: this.opts.budget,
                container: { format: art.format, name: node.name, source: rsrc },
                fact,
                keys: ctx.keys,
                tempDir: this.opts.tempDir,
                ...(noHash ? { headersOnly: true } : {}),
              };
              const list = await childrenOf(children, sctx);
              Object.assign(resInfo, list.info);
              ranges.push(...list.rangeTaps);
              // Keep the handler's object: range-digest callbacks fill it in later.
              art.info = Object.assign(resInfo, { ...art.info, ...resInfo });
              if (noHash) {
                // No hashing pass: its range digests and taps are never fed.
                art.children = await this.walkChildren(art, list.entries, depth);
                return art;
              }
              // One pass over the container feeds its own hashes and any range
              // digests; a spilled container was hashed while it was spilled.
              if (beside) {
                const finish = () => this.finishHashes(art, digests, whole, complete, fact);
                art.children = await this.hashBesideChildren(art, rsrc, digests, ranges, list.entries, depth, (h) => (held = h), finish);
                return art;
              }
              if (tee && ranges.every((r) => r.standalone === true) && !digests.tapped && list.entries.length > 0) {
                // No taps whose results the children might read (a footer's digest check goes to its vbmeta child; an Odin md5 or
                // an OTA's whole-file signature only reports on the container): the pass follows the children's reads, and the
                // taps' and hashes' facts go where a pass run first would have put them.
                // The taps' facts are kept apart (they may come while a child is walked) and put first.
                const tapped: Fact[] = [];
                const aside =
                  <A extends unknown[]>(done: (...a: A) => void) =>
                  (...a: A) => {
                    const was = held;
                    held = tapped;
                    try {
                      done(...a);
                    } finally {
                      held = was;
                    }
                  };
                for (const r of ranges)
                  if ('update' in r) digests.addTap({ start: r.start, end: r.end, update: (b) => r.update(b), done: aside(() => r.done()) });
                  else digests.addRange({ ...r, done: aside((hex: string) => r.done(hex)) });
                tee.start();
                const before = art.facts.length;
                let walked: Artifact[];
                try {
                  walked = await this.walkChildren(art, list.entries, depth);
                  await tee.finish();
                  await digests.settle();
                } catch (e) {
                  // As when a pass run first fails: no children.
                  art.facts.length = before;
                  throw e;
                }
                art.children = walked;
                const finished: Fact[] = [];
                held = finished;
                try {
                  await this.finishHashes(art, digests, whole, complete, fact);
                } finally {
                  held = null;
                }
                art.facts.splice(before, 0, ...tapped, ...finished);
                return art;
              }
              if (spilled) {
                if (ranges.length) await this.hashPass(rsrc, new DigestSet([]), ranges, path, false);
              } else await this.hashPass(source as RandomSource, digests, ranges, path, true);
              await this.finishHashes(art, digests, whole, complete, fact);
              art.children = await this.walkChildren(art, list.entries, depth);
            } finally {
              await spilled?.release();
            }
          } finally {
            closeScope();
          }
          return art;
        }
        case 'transform': {
          const info = handler.headerInfo?.(peek) ?? {};
          if (handler.random && source.kind === 'random' && !noHash && !node.streamOnly) {
            // Decoded where the child reads it, not whole into a temporary file (a Samsung super.img.lz4):
            // the input's pass rides on the in-order reads of its compressed data.
            const tee = new PassTee(source, digests, (n) => this.progress(n, path));
            const childName = handler.childName(node.name, peek);
            let view: RandomView | null = null;
            try {
              view = await handler.random(tee, ctx, info, childName);
            } catch {
              // The stream decoder reads it and says what is wrong.
            }
            if (view) {
              this.opts.budget.chargeMember();
              tee.start();
              const child = await this.walk({ source: view, name: childName, path: childPath(path, childName), depth: depth + 1, lineage: this.lineage.get(art) });
              if (!view.streamInstead) {
                try {
                  await view.finish();
                } catch (e) {
                  if (!view.streamInstead) {
                    fact(errorToFact(e));
                    child.info.incomplete = true;
                    child.hashes = {};
                  }
                }
              }
              // Damaged, or its data not where the random view put it (an LZ4 block before the last that is not full):
              // decoded again as a stream, which reports the damage on this artifact as it always has; the first try is dropped.
              if (view.streamInstead) return this.walk({ ...node, streamOnly: true });
              try {
                await tee.finish();
              } catch (e) {
                complete = false;
                fact(errorToFact(e));
              }
              Object.assign(art.info, info, { decodedSize: child.size });
              art.size = source.size;
              art.children = [child];
              await this.finishHashes(art, digests, whole, complete, fact);
              return art;
            }
          }
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
            lineage: this.lineage.get(art),
          });
          if (!decodedOk) {
            child.info.incomplete = true;
            child.hashes = {};
          }
          if (noHash) {
            // Decoded only as far as the child's detection and headers needed.
            Object.assign(art.info, info);
            art.size = source.size;
            art.children = [child];
            return art;
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
          await this.finishHashes(art, digests, whole, complete, fact);
          return art;
        }
        case 'document': {
          const max = handler.maxBytes ?? LIMITS.maxTextBytes;
          if (noHash && source.size !== null && source.size > max) {
            art.info.notRead = NOT_READ.document;
            return art;
          }
          const chunks: Buffer[] = [];
          let n = 0;
          for await (const c of rest()) {
            n += c.length;
            if (n <= max) chunks.push(c);
            else if (noHash) break;
          }
          if (noHash && n > max) {
            art.size = source.size;
            art.info.notRead = NOT_READ.document;
            return art;
          }
          art.size = n;
          if (n <= max) Object.assign(art.info, handler.decode(Buffer.concat(chunks), ctx, node.name));
          else fact({ kind: 'unsupported', message: `${n} bytes is more than the ${max} this format is decoded up to` });
          await this.finishHashes(art, digests, whole, complete, fact);
          return art;
        }
        default: {
          // Unrecognised bytes may still end in a trailer (any partition image may end in an AVB footer).
          const trailers: ChildSpec[] = [];
          const tails: { keep: TailKeeper; hook: (typeof TRAILER_HOOKS)[number] }[] = [];
          if (noHash) {
            // Only what detection peeked, and the trailer at the end of a random-access source.
            if (source.kind === 'random') trailers.push(...(await trailersOf(source)).children);
            art.size = source.size;
            if (art.format === 'data' && art.size !== null) {
              const all = peek.length === art.size;
              const seen = sniffContent(peek, art.size, all && peek.equals(zeros(peek.length)));
              fact({ kind: 'unidentified', message: seen.description, content: seen.kind });
            }
            if (trailers.length) art.children = await this.walkChildren(art, namedEntries(trailers), depth);
            return art;
          }
          if (source.kind === 'stream') for (const hook of TRAILER_HOOKS) tails.push({ keep: new TailKeeper(hook.tailBytes), hook });
          else {
            const found = await trailersOf(source);
            for (const t of found.taps) digests.addTap(t);
            trailers.push(...found.children);
          }
          // Whether every byte is zero (a blank image), for saying what unrecognised bytes look like.
          let zero = true;
          const look = (c: Buffer) => {
            for (const t of tails) t.keep.push(c);
            if (zero && c.length) zero = c.equals(zeros(c.length));
          };
          if (reader) for await (const c of rest()) look(c);
          else {
            // Read once into reused buffers (nothing here keeps a chunk).
            await scanRange(source as RandomSource, 0, source.size!, async (c) => {
              const p = digests.update(c);
              this.progress(c.length, path);
              look(c);
              if (p) await p;
            });
          }
          art.size = digests.pos;
          if (handler?.kind === 'opaque' && handler.describe) Object.assign(art.info, handler.describe({ name: node.name, size: art.size }));
          await this.finishHashes(art, digests, whole, complete, fact);
          if (art.format === 'data' && art.size !== null) {
            const seen = sniffContent(peek, art.size, zero);
            fact({ kind: 'unidentified', message: seen.description, content: seen.kind });
          }
          for (const t of tails) trailers.push(...t.hook.streamed(t.keep.bytes(), digests.pos));
          if (trailers.length) art.children = await this.walkChildren(art, namedEntries(trailers), depth);
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
    taps: (RangeTap | RangeDigest)[],
    children: ChildEntry[],
    depth: number,
    hold: (h: Fact[] | null) => void,
    finish: () => Promise<void>,
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
      await finish();
    } finally {
      hold(null);
    }
    art.facts.splice(before + held.length, 0, ...finished);
    if (walked.status === 'rejected') throw walked.reason;
    return walked.value;
  }

  /** Streams a random-access source once through a digest set (plus range taps); `whole` covers all bytes. */
  private async hashPass(src: RandomSource, digests: DigestSet, taps: (RangeTap | RangeDigest)[], path: string, whole: boolean): Promise<void> {
    const start = whole ? 0 : Math.min(...taps.map((r) => r.start));
    const end = whole ? src.size : Math.max(...taps.map((r) => r.end));
    digests.pos = start;
    for (const t of taps)
      if ('update' in t) digests.addTap(t);
      else digests.addRange(t);
    await scanRange(src, start, end, async (c) => {
      const p = digests.update(c);
      if (whole) this.progress(c.length, path);
      if (p) await p;
    });
    // Range digests computed on hashing threads report before the pass counts as done.
    await digests.settle();
  }

  /** The artifact's digests, checked against what it is expected to hash to; facts go through `push`. */
  private async finishHashes(art: Artifact, digests: DigestSet, expect: ExpectedDigest[], complete: boolean, push: (f: Fact) => void): Promise<void> {
    // Range callbacks held behind a hashing thread's answer run whether or not the artifact was read whole.
    await digests.settle();
    if (!complete) {
      art.info.incomplete = true;
      return;
    }
    art.hashes = await digests.digest();
    if (art.size === null) art.size = digests.pos;
    if (art.facts.some((f) => f.kind === 'truncated')) return;
    for (const e of expect) checkExpected(push, e, art.hashes[e.algo]);
  }

  private async walkChildren(parent: Artifact, entries: ChildEntry[], depth: number): Promise<Artifact[]> {
    const out: Artifact[] = [];
    let stopped = false;
    for (const e of entries) {
      if (e.spec) {
        if (stopped) continue;
        try {
          this.opts.budget.chargeMember();
        } catch (err) {
          parent.facts.push(errorToFact(err));
          stopped = true;
          continue;
        }
        out.push(await this.walkSpec(parent, e.spec, e.name, depth));
        continue;
      }
      if (this.opts.noHash) {
        const a = newArtifact(childPath(parent.path, e.name), e.name, null);
        a.info.notRead = NOT_READ.derived;
        out.push(a);
        continue;
      }
      let opened;
      try {
        opened = await e.derived!.open(e.name);
      } catch (err) {
        parent.facts.push(errorToFact(err, e.derived!.doing));
        continue;
      }
      try {
        out.push(await this.walkSpec(parent, opened.spec, e.name, depth));
      } finally {
        await opened.release();
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
      open: spec.open,
      keys: spec.keys,
      baseBuild: spec.baseBuild,
      lineage: this.lineage.get(parent),
    });
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

const ZEROS = Buffer.alloc(256 * 1024);
/** A zero buffer of n bytes to compare chunks against (a view of one shared buffer when it is large enough). */
function zeros(n: number): Buffer {
  return n <= ZEROS.length ? ZEROS.subarray(0, n) : Buffer.alloc(n);
}
