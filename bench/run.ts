/**
 * `npm run bench`: times `romscope check` on large generated inputs beside the
 * standard tools that do comparable work, and reports romscope's peak RSS;
 * and `romscope extract` of build.prop out of ext4 and EROFS images (sparse,
 * and in an OTA payload) beside the by-hand routes, with peak RSS and bytes
 * read and written on both sides (docs/bench.md).
 *
 *   BENCH_SIZE_MB=64 npm run bench     # quick run; the default is 1024 (1 GiB)
 *   BENCH_CASES="ota payload" npm run bench   # only the named cases
 *   (the ota payload case builds a fixed 640 MiB ext4 image; BENCH_XZ_PRESET picks its xz preset, default -9)
 *   (the build.prop cases: BENCH_FS_MB partitions, default 2048; BENCH_FS_FILES_MB of files, default 256;
 *    BENCH_FS_XZ_PRESET for the payload's operations, default -6)
 *   (the whole-package cases "samsung ap", "factory zip", "ab ota zip": BENCH_AP_SUPER_MB, default 1024;
 *    BENCH_FACTORY_MB, default 1024; BENCH_OTA_MB, default 640; "update app": BENCH_APP_SYSTEM_MB, default 1024; each measured at ROMSCOPE_DECODE_THREADS=2, =1, and =1 under taskset -c 0)
 *   (the "lg kdz" case: BENCH_KDZ_MB, the KDZ's size, default 1024)
 *
 * Inputs are generated in a temp dir (removed at the end, even on failure), so
 * nothing is written into the repo. Progress goes to stderr; the report (table,
 * PASS/FAIL lines, then JSON after `--- json ---`) goes to stdout.
 * Exit status: 0 when the report was produced, whatever the verdicts; 1 when
 * romscope (or the harness) failed; 2 for a bad BENCH_SIZE_MB.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, statfsSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { MiB, writeData, writeHashtreeImage } from './generate';
import { buildExt4Image, buildPayloadBench } from './payload';
import { abOtaZip, factoryZip, mibFromEnv, samsungAp, updateApp } from './packages';
import { lgKdz } from './kdz';
import { batchCount, largeBytes, largePackages, smallPackages } from './batch';
import { buildDeltaBench } from './delta';
import { BUILD_PROP, fsImageBytes, otaZip, sparseImage, type FsKind } from './fs';
import { CommandFailed, describeRssMethod, detectRssMethod, findTool, measure, runCommand, stopAll, type Command, type RssMethod } from './measure';
import { evaluateTargets, renderTable, renderTargets, toJson, type CaseResult, type Target, type ToolResult } from './report';

/** Compiled to dist/bench/run.js, so the repo root is two levels up. */
const ROOT = resolve(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'romscope.js');
const DEFAULT_SIZE_MB = 1024;
const TIMED_RUNS = 3;

interface Reference {
  tool: string;
  /** Programs that must be on PATH for this comparison. */
  needs: string[];
  argv: string[];
  /** As a user would type it, for the JSON. */
  command: string;
}

interface CaseSpec {
  name: string;
  /** Programs needed to build the input at all; without them the whole case is skipped. */
  builders: string[];
  /** Writes the input into `dir`; returns its path (a file, or a directory for batch), facts worth printing, extra romscope arguments, and its size when it is a directory. */
  build(dir: string, bytes: number): Promise<{ input: string; info: string[]; args?: string[]; bytes?: number }>;
  /** Set when the input's size does not follow BENCH_SIZE_MB (said in the log instead of the size). */
  fixedInput?: string;
  references(input: string): Reference[];
  /**
   * The romscope command when it is not `check --quiet`: arguments after
   * bin/romscope.js, and how the table and JSON name it.
   */
  romscope?: (input: string) => { args: string[]; label: string; command: string };
  /** Also measure the references' peak RSS (whole pipeline: the largest process), and everyone's bytes read and written. */
  measureAll?: boolean;
  /** Measure romscope several ways on the same input (one result each, named `<case>, <suffix>`); the references are measured once. */
  variants?: Variant[];
}

interface Variant {
  suffix: string;
  env: Record<string, string>;
  /** Put before node, e.g. a CPU affinity mask; the variant is skipped when its program is missing. */
  prefix?: string[];
  /** Put after romscope's own arguments, e.g. `--jobs 2`. */
  args?: string[];
}

/** The whole-package cases: romscope's decode threads at 2 and 1, and 1 pinned to one core (the references are not pinned). */
const THREAD_VARIANTS: Variant[] = [
  { suffix: '2 threads', env: { ROMSCOPE_DECODE_THREADS: '2' } },
  { suffix: '1 thread', env: { ROMSCOPE_DECODE_THREADS: '1' } },
  { suffix: '1 thread, taskset -c 0', env: { ROMSCOPE_DECODE_THREADS: '1' }, prefix: ['taskset', '-c', '0'] },
];

/** A shell script run with bash -o pipefail -e, its first argument the input; `tmp` is a scratch dir beside the input, removed at the end whatever happens. */
function byHand(script: string, input: string): string[] {
  return ['bash', '-o', 'pipefail', '-e', '-c', `tmp="$1.hand"; rm -rf "$tmp"; mkdir "$tmp"; trap 'rm -rf "$tmp"' EXIT; ${script}`, 'bench', input];
}

class UsageError extends Error {}

const log = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`);
const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;

const CASES: CaseSpec[] = [
  {
    // One big stored member: romscope's cost is reading, CRC-checking and
    // sha256-hashing it, which is what sha256sum and unzip -t each do part of.
    name: 'stored zip',
    builders: ['zip'],
    async build(dir, bytes) {
      const raw = join(dir, 'big.bin');
      await writeData(raw, bytes, 'random');
      await runBuilder(['zip', '-0', '-q', 'big.zip', 'big.bin'], dir);
      rmSync(raw); // keep only the file under test in the page cache
      const input = join(dir, 'big.zip');
      return { input, info: [`big.zip: one stored member of ${mib(bytes)} random bytes, ${mib(statSync(input).size)} on disk`] };
    },
    references: (input) => [
      { tool: 'sha256sum', needs: ['sha256sum'], argv: ['sha256sum', input], command: 'sha256sum big.zip' },
      { tool: 'unzip -tq', needs: ['unzip'], argv: ['unzip', '-tq', input], command: 'unzip -tq big.zip' },
    ],
  },
  {
    // romscope decodes the frame and sha256-hashes the decoded data, so the
    // pipeline into sha256sum is the fair comparison; plain decode is the floor.
    name: 'lz4',
    builders: ['lz4'],
    async build(dir, bytes) {
      const raw = join(dir, 'big.bin');
      await writeData(raw, bytes, 'mixed');
      await runBuilder(['lz4', '-q', 'big.bin', 'big.bin.lz4'], dir);
      rmSync(raw);
      const input = join(dir, 'big.bin.lz4');
      const size = statSync(input).size;
      return { input, info: [`big.bin.lz4: ${mib(bytes)} decoded, ${mib(size)} compressed (${(bytes / size).toFixed(2)}:1)`] };
    },
    references: (input) => [
      { tool: 'lz4 -d -c > /dev/null', needs: ['lz4'], argv: ['lz4', '-d', '-c', input], command: 'lz4 -d -c big.bin.lz4 > /dev/null' },
      {
        tool: 'lz4 -d -c | sha256sum',
        needs: ['lz4', 'sha256sum', 'bash'],
        // pipefail: a failing lz4 must not hide behind a succeeding sha256sum.
        argv: ['bash', '-o', 'pipefail', '-c', 'lz4 -d -c "$1" | sha256sum', 'bench', input],
        command: 'lz4 -d -c big.bin.lz4 | sha256sum',
      },
    ],
  },
  {
    // romscope reads the chunk list, expands the image on the fly (FILL and
    // DONT_CARE ranges are generated, never read) and sha256-hashes both the
    // sparse file and the expanded image. The reference way to get the
    // expanded image's digest is to write it out with simg2img and hash it.
    name: 'sparse',
    builders: ['img2simg'],
    async build(dir, bytes) {
      const raw = join(dir, 'raw.img');
      await writeData(raw, bytes, 'holes');
      await runBuilder(['img2simg', 'raw.img', 'sparse.img'], dir);
      rmSync(raw);
      const input = join(dir, 'sparse.img');
      return {
        input,
        info: [`sparse.img: ${mib(bytes)} expanded (alternating 1 MiB random / 1 MiB zeros), ${mib(statSync(input).size)} on disk (img2simg, 4096-byte blocks)`],
      };
    },
    references: (input) => [
      {
        tool: 'simg2img && sha256sum',
        needs: ['simg2img', 'sha256sum', 'sh'],
        // out.raw is removed after every run (its removal is part of the timed
        // command), so each run writes a fresh 1 GiB file and the disk never
        // holds more than one.
        argv: ['sh', '-c', 'out="$1.out.raw"; rm -f "$out"; simg2img "$1" "$out" && sha256sum "$out"; rc=$?; rm -f "$out"; exit $rc', 'bench', input],
        command: 'simg2img sparse.img out.raw && sha256sum out.raw; rm out.raw',
      },
    ],
  },
  {
    // A partition image with an AVB hashtree footer (avbtool add_hashtree_footer
    // layout): romscope sha256-hashes the file and, in the same read, rebuilds
    // the dm-verity tree over the data to check the root digest its signed
    // vbmeta gives. sha256sum reads the same bytes and hashes them once.
    name: 'avb hashtree',
    builders: [],
    async build(dir, bytes) {
      const input = join(dir, 'system.img');
      const r = await writeHashtreeImage(input, bytes);
      return { input, info: [`system.img: ${mib(r.imageSize)} of random data with its dm-verity tree, a signed vbmeta (SHA256_RSA4096) and an AVB footer; ${mib(r.fileSize)} on disk`] };
    },
    references: (input) => [{ tool: 'sha256sum', needs: ['sha256sum'], argv: ['sha256sum', input], command: 'sha256sum system.img' }],
  },
  {
    // A full A/B OTA payload whose partition is a real ext4 image in 2 MiB
    // REPLACE_XZ operations: romscope checks every operation's SHA-256 and both
    // signatures (--key) while hashing the payload, then rebuilds the
    // partition (xz decoded on worker threads, one per core) and checks its
    // SHA-256. The reference is single-threaded xz -dc of the same image
    // compressed whole; beside it, xz -dc of exactly the operation blobs
    // romscope decodes, on one core and split over every core (the floor:
    // 2 MiB streams decode slower than one whole stream).
    // The input size is fixed (640 MiB image), whatever BENCH_SIZE_MB says.
    name: 'ota payload',
    builders: ['mkfs.ext4', 'xz'],
    fixedInput: 'a 640 MiB ext4 image in a payload',
    async build(dir) {
      const image = join(dir, 'system.img');
      const staged = await buildExt4Image(dir, image);
      const p = await buildPayloadBench(dir, image, process.env.BENCH_XZ_PRESET ?? '-9');
      rmSync(image); // only the payload and the whole-image .xz stay
      rmSync(join(dir, 'ext4-root'), { recursive: true, force: true });
      return { input: p.payload, info: [`system.img: mkfs.ext4 -d with ${staged}`, ...p.info], args: ['--key', p.keyFile] };
    },
    references: (input) => [
      {
        tool: 'xz -dc -T1 > /dev/null',
        needs: ['xz'],
        argv: ['xz', '-dc', '-T1', join(dirname(input), 'system.img.xz')],
        command: 'xz -dc -T1 system.img.xz > /dev/null',
      },
      ...payloadBlobReferences(dirname(input)),
    ],
  },
  {
    // An incremental A/B payload applied to its base (--base): a partition of
    // BENCH_DELTA_MB MiB (default 1024) in 2 MiB SOURCE_COPY and SOURCE_BSDIFF
    // operations. romscope checks the base against old_partition_info and
    // every operation's source hash, applies the operations and checks the
    // new partition's SHA-256; the reference only applies and hashes, with
    // dd and Debian's bspatch in a shell loop.
    name: 'ota delta',
    builders: ['bsdiff', 'bspatch', 'dd'],
    get fixedInput() {
      return `a ${mibFromEnv('BENCH_DELTA_MB', 1024) / MiB} MiB partition (BENCH_DELTA_MB) in a delta payload`;
    },
    async build(dir) {
      const d = await buildDeltaBench(dir, mibFromEnv('BENCH_DELTA_MB', 1024));
      return { input: d.input, info: d.info, args: ['--base', d.base] };
    },
    references: (input) => [
      {
        tool: 'dd + bspatch loop && sha256sum',
        needs: ['bash', 'dd', 'bspatch', 'sha256sum'],
        argv: byHand(`. "${join(dirname(input), 'by-hand.sh')}"`, input),
        command: 'for each chunk: dd the base chunk; bspatch it (or copy it); append; then sha256sum the new image',
      },
    ],
    measureAll: true,
  },
  {
    // Samsung's AP_*.tar.md5 as Odin takes it. By hand: the md5 trailer
    // against the tar (md5sum of all but the last line), then each image
    // out of the tar through lz4 -dc into sha256sum, and the sparse super
    // image expanded with simg2img and hashed. romscope does all of that
    // in one read (and more: the boot image, vbmeta, the ext4 inside).
    name: 'samsung ap',
    builders: ['img2simg', 'mkfs.ext4', 'mkbootimg', 'lz4', 'tar', 'md5sum', 'cpio', 'gzip'],
    get fixedInput() {
      return `a ${mibFromEnv('BENCH_AP_SUPER_MB', 1024) / MiB} MiB super image (BENCH_AP_SUPER_MB) in an AP tar`;
    },
    variants: THREAD_VARIANTS,
    async build(dir) {
      return samsungAp(dir, mibFromEnv('BENCH_AP_SUPER_MB', 1024));
    },
    references: (input) => [
      {
        tool: 'md5sum + lz4 -dc | sha256sum + simg2img && sha256sum',
        needs: ['bash', 'md5sum', 'head', 'tail', 'tar', 'lz4', 'sha256sum', 'simg2img'],
        argv: byHand(
          'n=$(tail -n 1 "$1" | wc -c); head -c -"$n" "$1" | md5sum; tar -xf "$1" -C "$tmp"; for f in "$tmp"/*.lz4; do lz4 -dc "$f" | sha256sum; done; lz4 -dc "$tmp/super.img.lz4" > "$tmp/super.img"; simg2img "$tmp/super.img" "$tmp/super.raw"; sha256sum "$tmp/super.raw"',
          input,
        ),
        command: 'head -c -<trailer> AP.tar.md5 | md5sum; tar xf AP.tar.md5; for f in *.lz4; do lz4 -dc $f | sha256sum; done; lz4 -dc super.img.lz4 > super.img; simg2img super.img super.raw; sha256sum super.raw',
      },
    ],
    measureAll: true,
  },
  {
    // A Pixel factory zip. By hand: unzip -t of it and of the image zip
    // inside, then sha256sum of every image (the sparse ones as they are:
    // the factory zip carries no digests to compare an expanded image with).
    name: 'factory zip',
    builders: ['img2simg', 'mkfs.ext4', 'mkbootimg', 'zip', 'cpio', 'gzip'],
    get fixedInput() {
      return `a ${mibFromEnv('BENCH_FACTORY_MB', 1024) / MiB} MiB system image (BENCH_FACTORY_MB) in a factory zip`;
    },
    variants: THREAD_VARIANTS,
    async build(dir) {
      return factoryZip(dir, mibFromEnv('BENCH_FACTORY_MB', 1024));
    },
    references: (input) => [
      {
        tool: 'unzip -t + sha256sum of each image',
        needs: ['bash', 'unzip', 'sha256sum'],
        argv: byHand('unzip -tq "$1"; unzip -q "$1" -d "$tmp"; for z in "$tmp"/*/image-*.zip; do unzip -tq "$z"; unzip -q "$z" -d "$tmp/image"; done; sha256sum "$tmp"/*/*.img "$tmp"/image/*.img', input),
        command: 'unzip -t factory.zip; unzip factory.zip; unzip -t image-*.zip; unzip image-*.zip; sha256sum *.img',
      },
    ],
    measureAll: true,
  },
  {
    // An A/B OTA zip whose payload mixes REPLACE_XZ and REPLACE_ZSTD
    // operations (one in four zstd -19): full verification (operation
    // hashes, both signatures, the partition rebuilt and hashed). Against
    // single-threaded xz -dc of the image compressed whole, and the floor:
    // xz -dc and zstd -dc of exactly the operation blobs, one process per core.
    name: 'ab ota zip',
    builders: ['mkfs.ext4', 'xz', 'zstd', 'zip'],
    get fixedInput() {
      return `a ${mibFromEnv('BENCH_OTA_MB', 640) / MiB} MiB ext4 image (BENCH_OTA_MB) in an OTA zip`;
    },
    variants: THREAD_VARIANTS,
    async build(dir) {
      const image = join(dir, 'system.img');
      const staged = await buildExt4Image(dir, image, '/usr/lib', mibFromEnv('BENCH_OTA_MB', 640), 0.7);
      const p = await buildPayloadBench(dir, image, process.env.BENCH_XZ_PRESET ?? '-9', 4);
      rmSync(image);
      rmSync(join(dir, 'ext4-root'), { recursive: true, force: true });
      const input = await abOtaZip(dir, p.payload);
      return { input, info: [`system.img: mkfs.ext4 -d with ${staged}`, ...p.info, `bench-ota.zip: stored, payload.bin with payload_properties.txt and metadata`], args: ['--key', p.keyFile] };
    },
    references: (input) => [
      {
        tool: 'xz -dc -T1 > /dev/null',
        needs: ['xz'],
        argv: ['xz', '-dc', '-T1', join(dirname(input), 'system.img.xz')],
        command: 'xz -dc -T1 system.img.xz > /dev/null',
      },
      ...payloadBlobReferences(dirname(input)),
    ],
    measureAll: true,
  },
  {
    // A Huawei UPDATE.APP (issue 18): romscope checks every 4 KiB block's
    // CRC-16 against the records' lists, hashes the file and every record,
    // and decodes the records (a sparse ext4 system, boot images, vbmeta),
    // all in one read. The issue's bar: no slower than sha256sum of the file.
    name: 'update app',
    builders: ['img2simg', 'mkfs.ext4', 'mkbootimg', 'cpio', 'gzip'],
    get fixedInput() {
      return `a ${mibFromEnv('BENCH_APP_SYSTEM_MB', 1024) / MiB} MiB system image (BENCH_APP_SYSTEM_MB) in an UPDATE.APP`;
    },
    variants: THREAD_VARIANTS,
    async build(dir) {
      return updateApp(dir, mibFromEnv('BENCH_APP_SYSTEM_MB', 1024));
    },
    references: (input) => [{ tool: 'sha256sum', needs: ['sha256sum'], argv: ['sha256sum', input], command: 'sha256sum UPDATE.APP' }],
    measureAll: true,
  },
  {
    // An LG .kdz: romscope reads the KDZ table and the .dz, inflates every
    // chunk checking its MD5 and CRC-32 (and the header CRC, the chunk
    // headers' MD5, the data MD5) and hashes the rebuilt partitions;
    // sha256sum reads the same bytes once.
    name: 'lg kdz',
    builders: [],
    get fixedInput() {
      return `a ${mibFromEnv('BENCH_KDZ_MB', 1024) / MiB} MiB KDZ (BENCH_KDZ_MB)`;
    },
    async build(dir) {
      return lgKdz(dir, mibFromEnv('BENCH_KDZ_MB', 1024));
    },
    references: (input) => [{ tool: 'sha256sum', needs: ['sha256sum'], argv: ['sha256sum', input], command: 'sha256sum bench.kdz' }],
    measureAll: true,
  },
  batchCase(
    'batch small',
    async (dir) => smallPackages(dir, batchCount()),
    () => `${batchCount()} small zips (BENCH_BATCH_COUNT)`,
  ),
  batchCase(
    'batch large',
    (dir) => largePackages(dir, largeBytes()),
    () => `4 stored zips of ${largeBytes() / MiB} MiB each (BENCH_BATCH_LARGE_MB)`,
  ),
  fsCase('ext4', 'sparse'),
  fsCase('ext4', 'payload'),
  fsCase('erofs', 'sparse'),
  fsCase('erofs', 'payload'),
];

/**
 * `romscope batch` over a directory (issue 20): every input checked in
 * worker processes, a row and a JSON report each, at --jobs 1 and --jobs 2
 * (`--recheck`, so every timed run checks everything again; `--fail-on none`,
 * so findings do not fail the run). The reference is the same checks one by
 * one: `romscope check --quiet` per file, one process each, as a shell loop
 * would run them.
 */
function batchCase(name: string, build: (dir: string) => Promise<{ input: string; bytes: number; info: string[] }>, what: () => string): CaseSpec {
  return {
    name,
    builders: name === 'batch large' ? ['zip'] : [],
    get fixedInput() {
      return what();
    },
    variants: [
      { suffix: '--jobs 1', env: {}, args: ['--jobs', '1'] },
      { suffix: '--jobs 2', env: {}, args: ['--jobs', '2'] },
    ],
    build,
    romscope: (input) => ({
      args: ['batch', input, '--db', join(dirname(input), 'bench-batch.db'), '--recheck', '--fail-on', 'none', '--quiet'],
      label: 'romscope batch',
      command: `romscope batch ${basename(input)} --db bench-batch.db --recheck --fail-on none --quiet`,
    }),
    references: (input) => [
      {
        tool: 'romscope check per file',
        needs: ['sh'],
        // Exit 1 (findings) is a finished check; anything else stops the loop.
        argv: ['sh', '-c', 'for f in "$1"/*; do "$2" "$3" check --quiet --fail-on none "$f" > /dev/null || exit 1; done', 'bench', input, process.execPath, BIN],
        command: `for f in ${basename(input)}/*; do romscope check --quiet --fail-on none "$f"; done`,
      },
    ],
  };
}

/**
 * build.prop out of a 2 GiB ext4 or EROFS partition image, inside a sparse
 * image or an A/B OTA payload: `romscope extract` of that one file against
 * the route users take by hand on the same bytes. For a sparse image that is
 * simg2img to a raw image, then debugfs -R "cat" (ext4) or fsck.erofs
 * --extract (EROFS; dump.erofs 1.5 has no --cat). For a payload no Debian
 * package unpacks payload.bin (payload_dumper is a pip tool, update_engine's
 * delta_generator is not packaged), so the by-hand route is romscope's own
 * extract of the whole partition to a file, then the same debugfs/fsck.erofs.
 * The point: romscope reads the metadata and the one file, megabytes, where
 * the by-hand routes read and write the whole partition.
 */
function fsCase(kind: FsKind, wrap: 'sparse' | 'payload'): CaseSpec {
  const mkfs = kind === 'ext4' ? 'mkfs.ext4' : 'mkfs.erofs';
  const path = wrap === 'sparse' ? `raw${BUILD_PROP}` : `payload.bin/system.img${BUILD_PROP}`;
  const file = wrap === 'sparse' ? `system-${kind}.simg` : `ota-${kind}.zip`;
  const gib = () => `${(fsImageBytes() / 1024 ** 3).toFixed(fsImageBytes() % 1024 ** 3 === 0 ? 0 : 2)} GiB`;
  // The raw image's own reader, run on `$out`; fails unless build.prop came out with its fingerprint line.
  const reader =
    kind === 'ext4' ? `debugfs -R "cat ${BUILD_PROP}" "$out" 2>/dev/null | grep -q "^ro.build.fingerprint="` : `fsck.erofs --extract="$out.d" "$out" > /dev/null && grep -q "^ro.build.fingerprint=" "$out.d${BUILD_PROP}"`;
  const readerNeeds = kind === 'ext4' ? ['debugfs', 'grep'] : ['fsck.erofs', 'grep'];
  const readerCommand = kind === 'ext4' ? `debugfs -R "cat ${BUILD_PROP}" system.img` : `fsck.erofs --extract=dir system.img; cat dir${BUILD_PROP}`;
  return {
    name: `${kind} ${wrap} build.prop`,
    builders: wrap === 'sparse' ? [mkfs, 'img2simg'] : [mkfs, 'xz', 'zip'],
    // A getter: BENCH_FS_MB is checked when the case runs, not when this module loads.
    get fixedInput() {
      return `an ${kind} image of ${gib()} in ${wrap === 'sparse' ? 'a sparse image' : 'an OTA payload'}`;
    },
    measureAll: true,
    async build(dir) {
      const r = wrap === 'sparse' ? await sparseImage(dir, kind) : await otaZip(dir, kind);
      return { input: r.input, info: r.info };
    },
    romscope: (input) => ({
      args: ['extract', input, path, '-o', join(dirname(input), 'out.prop'), '--force'],
      label: 'romscope extract',
      command: `romscope extract ${file} ${path} -o out.prop`,
    }),
    references: (input) => {
      // Every run leaves nothing behind: the expanded image (and extracted tree) are removed inside the timed command.
      const tail = `${reader}; rc=$?; rm -rf "$out" "$out.d"; exit $rc`;
      if (wrap === 'sparse') {
        return [
          {
            tool: `simg2img + ${kind === 'ext4' ? 'debugfs cat' : 'fsck.erofs --extract'}`,
            needs: ['simg2img', 'sh', ...readerNeeds],
            argv: ['sh', '-c', `out="$1.raw"; rm -rf "$out" "$out.d"; simg2img "$1" "$out" || exit 1; ${tail}`, 'bench', input],
            command: `simg2img ${file} system.img && ${readerCommand}`,
          },
        ];
      }
      return [
        {
          tool: `romscope extract partition + ${kind === 'ext4' ? 'debugfs cat' : 'fsck.erofs --extract'}`,
          needs: ['sh', ...readerNeeds],
          argv: ['sh', '-c', `out="$1.raw"; rm -rf "$out" "$out.d"; "$2" "$3" extract "$1" payload.bin/system.img -o "$out" > /dev/null || exit 1; ${tail}`, 'bench', input, process.execPath, BIN],
          command: `romscope extract ${file} payload.bin/system.img -o system.img && ${readerCommand}`,
        },
      ];
    },
  };
}

/** xz -dc of the payload's operation blobs: all on one core, and one process per blob file at once. */
function payloadBlobReferences(dir: string): Reference[] {
  const files = readdirSync(dir)
    .filter((n) => /^blobs-\d+\.xz$/.test(n))
    .sort((a, b) => parseInt(a.slice(6), 10) - parseInt(b.slice(6), 10))
    .map((n) => join(dir, n));
  if (files.length === 0) return [];
  const zst = files.map((f) => f.replace(/\.xz$/, '.zst'));
  if (existsSync(zst[0])) {
    // xz and zstd operations: each core decodes its pair of files, xz then zstd.
    const pair = 'xz -dc -T1 "$1" > /dev/null && zstd -dcq "$2" > /dev/null';
    const both = files.flatMap((f, i) => [f, zst[i]]);
    const refs: Reference[] = [
      {
        tool: 'xz + zstd -dc blobs > /dev/null',
        needs: ['xz', 'zstd', 'sh'],
        argv: ['sh', '-c', `while [ $# -gt 0 ]; do sh -c '${pair}' sh "$1" "$2" || exit 1; shift 2; done`, 'sh', ...both],
        command: 'xz -dc -T1 blobs-*.xz; zstd -dc blobs-*.zst (> /dev/null)',
      },
    ];
    if (files.length > 1) {
      const script = `pids=; while [ $# -gt 0 ]; do sh -c '${pair}' sh "$1" "$2" & pids="$pids $!"; shift 2; done; for p in $pids; do wait "$p" || exit 1; done`;
      refs.push({
        tool: `${files.length} x xz + zstd -dc blobs (floor)`,
        needs: ['xz', 'zstd', 'sh'],
        argv: ['sh', '-c', script, 'sh', ...both],
        command: `one xz -dc -T1 blobs-N.xz && zstd -dc blobs-N.zst per core, ${files.length} at once`,
      });
    }
    return refs;
  }
  const refs: Reference[] = [{ tool: 'xz -dc -T1 blobs > /dev/null', needs: ['xz'], argv: ['xz', '-dc', '-T1', ...files], command: 'xz -dc -T1 blobs-*.xz > /dev/null' }];
  if (files.length > 1) {
    // Every process's status counts: wait on each pid.
    const script = 'pids=; for f in "$@"; do xz -dc -T1 "$f" > /dev/null & pids="$pids $!"; done; for p in $pids; do wait "$p" || exit 1; done';
    refs.push({ tool: `${files.length} x xz -dc blobs (floor)`, needs: ['xz', 'sh'], argv: ['sh', '-c', script, 'sh', ...files], command: `one xz -dc -T1 per blobs-N.xz, ${files.length} at once` });
  }
  return refs;
}

/** Runs an input-building tool to completion; its failure is a harness failure, not romscope's. */
async function runBuilder(argv: string[], cwd: string): Promise<void> {
  const r = await runCommand({ label: argv.join(' '), argv, cwd });
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (status ${r.code}): ${r.output}`);
}

function sizeFromEnv(): number {
  const raw = process.env.BENCH_SIZE_MB;
  if (raw === undefined || raw === '') return DEFAULT_SIZE_MB * MiB;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`BENCH_SIZE_MB must be a positive whole number of MiB, got "${raw}"`);
  return n * MiB;
}

/** Fail up front rather than minutes in: a case needs its raw data and its archive side by side. */
function checkFreeSpace(dir: string, bytes: number): void {
  const s = statfsSync(dir);
  const free = s.bavail * s.bsize;
  if (free < 2.2 * bytes) throw new Error(`need about ${mib(2.2 * bytes)} free in ${dir}, only ${mib(free)} available`);
}

function romscopeCommand(spec: CaseSpec, input: string, args: string[] = []): { cmd: Command; command: string } {
  // node is spawned directly (not through npx or a shell) so the measured pid is romscope itself.
  const own = spec.romscope?.(input);
  if (own) return { cmd: { label: own.label, argv: [process.execPath, BIN, ...own.args], captureStdout: true }, command: own.command };
  return { cmd: { label: 'romscope check --quiet', argv: [process.execPath, BIN, 'check', input, '--quiet', ...args], captureStdout: true }, command: `romscope check ${basename(input)} --quiet` };
}

/** Builds one case's input and measures romscope and every available reference on it. */
async function runCase(spec: CaseSpec, dir: string, bytes: number, rss: RssMethod): Promise<CaseResult[]> {
  log(`${spec.name}: generating ${spec.fixedInput ?? `${mib(bytes)} input`}`);
  const { input, info, args, bytes: builtBytes } = await spec.build(dir, bytes);
  try {
    const { cmd: own, command } = romscopeCommand(spec, input, args);
    const ioFile = spec.measureAll ? join(dir, 'io.out') : undefined;
    const skipped: string[] = [];
    const owns: { name: string; romscope: ToolResult }[] = [];
    for (const v of spec.variants ?? [undefined]) {
      const name = v ? `${spec.name}, ${v.suffix}` : spec.name;
      const missing = (v?.prefix ?? []).slice(0, 1).filter((t) => !findTool(t));
      if (missing.length > 0) {
        skipped.push(`${name}: skipped: ${missing.join(', ')} not found on PATH`);
        log(skipped[skipped.length - 1]);
        continue;
      }
      log(`${name}: timing romscope (1 warm-up + ${TIMED_RUNS} runs)`);
      const cmd: Command = { ...own, ioFile, ...(v && { env: v.env, argv: [...(v.prefix ?? []), ...own.argv, ...(v.args ?? [])] }) };
      // A romscope failure is not caught here: it is the one thing that fails the bench.
      const measurement = await measure(cmd, TIMED_RUNS, rss);
      const shown = v
        ? `${Object.entries(v.env)
            .map(([k, x]) => `${k}=${x} `)
            .join('')}${v.prefix ? `${v.prefix.join(' ')} ` : ''}${command}${v.args ? ` ${v.args.join(' ')}` : ''}`
        : command;
      owns.push({ name, romscope: { tool: cmd.label, command: shown, measurement } });
    }
    const references: ToolResult[] = [];
    const skip = (why: string) => {
      skipped.push(why);
      log(why);
    };
    for (const ref of spec.references(input)) {
      const missing = ref.needs.filter((t) => !findTool(t));
      if (missing.length > 0) {
        skip(`${spec.name}: skipped "${ref.tool}": ${missing.join(', ')} not found on PATH`);
        continue;
      }
      log(`${spec.name}: timing ${ref.tool}`);
      try {
        const m = await measure({ label: ref.tool, argv: ref.argv, ioFile }, TIMED_RUNS, spec.measureAll ? rss : undefined);
        references.push({ tool: ref.tool, command: ref.command, measurement: m });
      } catch (e) {
        if (!(e instanceof CommandFailed)) throw e;
        skip(`${spec.name}: skipped "${ref.tool}": it failed on the input (${e.message})`);
      }
    }
    const file = basename(input);
    const size = builtBytes ?? statSync(input).size;
    return owns.map((o, i) => ({ name: o.name, file, bytes: size, info: i === 0 ? info : [], romscope: o.romscope, references, skipped: i === 0 ? skipped : [] }));
  } finally {
    rmSync(input, { recursive: true, force: true }); // the next case gets the disk and page cache to itself
  }
}

/** Removes the temp dir on Ctrl-C / kill too; `finally` alone does not run then. */
function cleanupOnSignal(dir: string): () => void {
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((sig) => {
    const h = () => {
      log(`${sig}: stopping and removing ${dir}`);
      // Children first: a running tool (or GNU time's report) could otherwise recreate files in dir.
      void stopAll().finally(() => {
        rmSync(dir, { recursive: true, force: true });
        process.exit(sig === 'SIGINT' ? 130 : 143);
      });
    };
    process.once(sig, h);
    return () => process.off(sig, h);
  });
  return () => handlers.forEach((off) => off());
}

/** BENCH_CASES="ota payload,sparse" runs only those cases. */
function onlyCases(): string[] | undefined {
  return process.env.BENCH_CASES?.split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

async function main(): Promise<number> {
  const bytes = sizeFromEnv();
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('romscope is not built: run `npx tsc -p .` first');
  const work = mkdtempSync(join(tmpdir(), 'romscope-bench-'));
  const uninstall = cleanupOnSignal(work);
  try {
    // The build.prop cases' by-hand routes write a whole partition (and an EROFS tree) beside their inputs.
    const fsSelected = CASES.some((c) => c.name.endsWith(' build.prop') && (!onlyCases()?.length || onlyCases()!.includes(c.name)));
    checkFreeSpace(work, fsSelected ? Math.max(bytes, fsImageBytes()) : bytes);
    const rss = detectRssMethod(join(work, 'time.out'));
    const cases: CaseResult[] = [];
    const notes: string[] = [];
    const only = onlyCases();
    for (const spec of CASES.filter((c) => !only?.length || only.includes(c.name))) {
      const missing = spec.builders.filter((t) => !findTool(t));
      if (missing.length > 0) {
        notes.push(`${spec.name}: whole case skipped: ${missing.join(', ')} not found on PATH (needed to build the input)`);
        log(notes[notes.length - 1]);
        continue;
      }
      for (const c of await runCase(spec, work, bytes, rss)) {
        cases.push(c);
        notes.push(...c.skipped);
      }
    }
    const targets = evaluateTargets(cases);
    const meta = {
      sizeMiB: bytes / MiB,
      warmupRuns: 1,
      timedRuns: TIMED_RUNS,
      statistic: 'minimum wall-clock seconds',
      rssMethod: describeRssMethod(rss),
      node: process.version,
      cpus: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`,
    };
    printReport(meta, cases, targets, notes);
    return 0;
  } finally {
    uninstall();
    rmSync(work, { recursive: true, force: true });
  }
}

function printReport(meta: Record<string, unknown>, cases: CaseResult[], targets: Target[], notes: string[]): void {
  const out: string[] = [
    `romscope bench: ${meta.sizeMiB} MiB inputs${cases.some((c) => c.name === 'ota payload') ? ' (ota payload: a fixed 640 MiB image)' : ''}${cases.some((c) => c.name.endsWith(' build.prop')) ? ` (build.prop cases: ${fsImageBytes() / MiB} MiB partitions, BENCH_FS_MB)` : ''}, best of ${TIMED_RUNS} runs after 1 warm-up; ratio = romscope time / tool time (< 1: romscope faster)${cases.some((c) => c.references.some((r) => r.measurement.peakRssKiB !== undefined)) ? "; RSS ratio = romscope peak RSS / the tool's (a pipeline: its largest process); read/written = bytes through read/write system calls (rchar/wchar), every process of the command together, node loading its own code included" : ''}`,
    `peak RSS via ${meta.rssMethod}; node ${meta.node}; ${meta.cpus}`,
    ...cases.flatMap((c) => c.info),
    '',
    renderTable(cases),
    '',
    renderTargets(targets),
  ];
  if (notes.length > 0) out.push('', ...notes);
  out.push('', '--- json ---', toJson(meta, cases, targets, notes));
  process.stdout.write(out.join('\n') + '\n');
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof CommandFailed) log(`romscope failed on a valid input: ${e.message}`);
    else log(`error: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  },
);
