/**
 * The fuzz targets: one per seed of test/formats/seeds.ts (at least one per
 * format handler), one per nested package shape, and the small files of
 * ../shared/corpus when it is there. A nested shape is a core (a boot image,
 * a payload, a super image...) and the layers that wrap it (lz4, tar.md5,
 * zip, gzip...): the mutator damages the core or any intermediate layer and
 * the layers above are rebuilt, so their checksums, CRCs and compression are
 * right and the damage reaches the inner decoder instead of stopping at the
 * first CRC mismatch.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { formatSeeds } from '../test/formats/seeds';
import { buildZip } from '../fixtures/builders/zip';
import { buildTar, buildTarMd5 } from '../fixtures/builders/tar';
import { buildLz4Frame } from '../fixtures/builders/lz4';
import { buildSparse } from '../fixtures/builders/sparse';
import { buildBootImage } from '../fixtures/builders/bootimg';
import { buildCpio } from '../fixtures/builders/cpio';
import { buildSuperImage } from '../fixtures/builders/super';
import { buildPayload } from '../fixtures/builders/payload';
import { buildAbOtaZip } from '../fixtures/builders/ota-zip';
import { buildBlockOta } from '../fixtures/builders/block-ota';
import { buildProp } from '../fixtures/builders/rom';
import { compressible, pseudoRandom } from '../fixtures/builders/data';
import { structureOffsets } from './mutate';

export interface Layer {
  name: string;
  wrap(inner: Buffer): Buffer | Promise<Buffer>;
}

export interface Target {
  /** Unique and stable: `<format>:<name>` plus a number when several share it. */
  id: string;
  /** What the totals are grouped by: the seed's format id, `nested`, or `corpus:<folder>`. */
  format: string;
  /** The input's file name (name hints count in detection). */
  name: string;
  /** stages[0] is the core; stages[i + 1] = layers[i].wrap(stages[i]); the last is the seed input. */
  stages: Buffer[];
  layers: Layer[];
  /** structureOffsets of each stage, computed once. */
  hot: number[][];
}

/** Corpus files larger than this are left out (the harness wants many cases per second). */
export const MAX_CORPUS_BYTES = 256 * 1024;

export const CORPUS_DIR = resolve(__dirname, '..', '..', '..', 'shared', 'corpus');

const BS = 4096;

async function layered(id: string, name: string, core: Buffer, layers: Layer[]): Promise<Target> {
  const stages = [core];
  for (const l of layers) stages.push(await l.wrap(stages[stages.length - 1]));
  return { id, format: 'nested', name, stages, layers, hot: stages.map((s) => structureOffsets(s)) };
}

const padBlocks = (b: Buffer) => (b.length % BS === 0 && b.length ? b : Buffer.concat([b, Buffer.alloc(BS - (b.length % BS))]));

/** The nested package shapes phones ship. */
async function nestedTargets(): Promise<Target[]> {
  const vbmetaLike = pseudoRandom(1024, 21);
  const cpio = buildCpio([
    { name: 'init', data: Buffer.from('#!/bin/sh\n') },
    { name: 'prop.default', data: buildProp({ 'ro.product.device': 'x', 'ro.build.fingerprint': 'a/x/x:14/AP1/1:user/release-keys' }) },
    { name: 'etc', type: 'dir' },
  ]);
  const boot = buildBootImage({ headerVersion: 2, kernel: pseudoRandom(5000, 3), ramdisk: gzipSync(cpio), dtb: pseudoRandom(300, 4) });
  const sys = Buffer.concat([pseudoRandom(2 * BS, 22), compressible(3 * BS, 23)]);
  const payload = buildPayload([
    { name: 'system', data: sys, type: 'REPLACE_XZ', chunkBlocks: 2 },
    { name: 'boot', data: pseudoRandom(2 * BS, 24), type: 'REPLACE_ZSTD' },
  ]);
  const superImg = buildSuperImage({ partitions: [{ name: 'system_a', data: sys }] }, { metadataMaxSize: 4096, slotCount: 2 }).image;
  const blockOta = buildBlockOta(sys);

  const lz4: Layer = { name: 'lz4', wrap: (b) => buildLz4Frame(b, { contentChecksum: true, blockChecksums: true }) };
  const tarMd5 = (member: string): Layer => ({
    name: 'tar.md5',
    wrap: (b) =>
      buildTarMd5(
        buildTar([
          { name: member, data: b },
          { name: 'vbmeta.img', data: vbmetaLike },
        ]),
        'AP_X.tar',
      ),
  });
  const zipOf = (member: string, method: 'stored' | 'deflate' = 'stored'): Layer => ({
    name: `zip(${member})`,
    wrap: (b) =>
      buildZip([
        { name: member, data: b, method },
        { name: 'android-info.txt', data: Buffer.from('require board=x\n') },
      ]),
  });
  return [
    await layered('nested:zip>tar.md5>lz4>boot', 'firmware.zip', boot, [lz4, tarMd5('boot.img.lz4'), zipOf('AP_X.tar.md5')]),
    await layered('nested:tar.md5>lz4>super', 'AP_X.tar.md5', superImg, [lz4, tarMd5('super.img.lz4')]),
    await layered('nested:zip>sparse', 'factory.zip', sys, [{ name: 'sparse', wrap: (b) => buildSparse([{ type: 'raw', data: padBlocks(b) }, { type: 'dontcare', blocks: 2 }, { type: 'crc32' }]) }, zipOf('system.img')]),
    await layered('nested:ota.zip>payload', 'ota.zip', payload.payload, [{ name: 'ota.zip', wrap: (b) => buildAbOtaZip({ payload: b, properties: payload.properties }).zip }]),
    await layered('nested:tar.gz>zip>boot', 'factory.tgz', boot, [
      zipOf('boot.img', 'deflate'),
      {
        name: 'tar',
        wrap: (b) =>
          buildTar([
            { name: 'x-factory/image-x.zip', data: b },
            { name: 'x-factory/flash-all.sh', data: Buffer.from('fastboot flash bootloader bootloader.img\nfastboot update image-x.zip\n') },
          ]),
      },
      { name: 'gzip', wrap: (b) => gzipSync(b) },
    ]),
    await layered('nested:zip>block-ota', 'ota.zip', blockOta.newDat, [
      {
        name: 'zip(block ota)',
        wrap: (b) =>
          buildZip([
            { name: 'system.transfer.list', data: Buffer.from(blockOta.transferList) },
            { name: 'system.new.dat.br', data: brotliCompressSync(b) },
            { name: 'META-INF/com/google/android/updater-script', data: Buffer.from('assert(getprop("ro.product.device") == "x");\n') },
          ]),
      },
    ]),
    await layered('nested:zip>boot>gzip>cpio', 'boot.zip', cpio, [
      { name: 'gzip', wrap: (b) => gzipSync(b) },
      { name: 'boot', wrap: (b) => buildBootImage({ headerVersion: 2, kernel: pseudoRandom(5000, 3), ramdisk: b }) },
      zipOf('boot.img', 'deflate'),
    ]),
    await layered('nested:zip>zip>ota', 'download.zip', buildAbOtaZip({ payload: payload.payload, properties: payload.properties }).zip, [zipOf('update.zip', 'deflate')]),
  ];
}

/** Small files of ../shared/corpus (MANIFEST.tsv: path, format, size, ...). */
function corpusTargets(dir: string): Target[] {
  const manifest = join(dir, 'MANIFEST.tsv');
  if (!existsSync(manifest)) return [];
  const out: Target[] = [];
  for (const line of readFileSync(manifest, 'utf8').split('\n').slice(1)) {
    const [path, format, size] = line.split('\t');
    if (!path || !(Number(size) > 0) || Number(size) > MAX_CORPUS_BYTES) continue;
    const file = join(dir, path);
    if (!existsSync(file)) continue;
    const data = readFileSync(file);
    out.push({ id: `corpus:${path}`, format: `corpus:${format}`, name: basename(path), stages: [data], layers: [], hot: [structureOffsets(data)] });
  }
  return out;
}

export interface TargetOptions {
  /** Read ../shared/corpus when it is there (default true). */
  corpus?: boolean;
  corpusDir?: string;
}

/** Every target, in a fixed order (case i of a run is on target i mod count). */
export async function loadTargets(opts: TargetOptions = {}): Promise<Target[]> {
  const seeds = await formatSeeds();
  const seen = new Map<string, number>();
  const flat: Target[] = seeds.map((s) => {
    const base = `${s.format}:${s.name}`;
    const k = (seen.get(base) ?? 0) + 1;
    seen.set(base, k);
    return { id: k > 1 ? `${base}#${k}` : base, format: s.format, name: basename(s.name), stages: [s.data], layers: [], hot: [structureOffsets(s.data)] };
  });
  return [...flat, ...(await nestedTargets()), ...(opts.corpus === false ? [] : corpusTargets(opts.corpusDir ?? CORPUS_DIR))];
}

/**
 * Which target case `i` runs on: the targets are grouped by format (each
 * nested shape a group of its own) and the groups take turns, so every format
 * gets its share of cases however many corpus files or seeds it has.
 */
export function scheduler(targets: readonly Target[]): (i: number) => Target {
  const groups = new Map<string, Target[]>();
  for (const t of targets) {
    const key = t.format === 'nested' ? t.id : t.format;
    const g = groups.get(key);
    if (g) g.push(t);
    else groups.set(key, [t]);
  }
  const list = [...groups.values()];
  return (i) => {
    const g = list[i % list.length];
    return g[Math.floor(i / list.length) % g.length];
  };
}
