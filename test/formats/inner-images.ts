/**
 * The images a vendor container's tests wrap, made by tools we did not
 * write: a sparse system image from `img2simg` (1 MiB with `dataBytes` of
 * data at 8 KiB), a header-v2 boot image from `mkbootimg`, and a vbmeta
 * (the project's AVB builder: avbtool is not packaged) signing the boot
 * image's hash. The container tests inspect them down to the images' own
 * checks (sparse expansion, boot id, vbmeta signature and hash).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { buildVbmeta, hashDescriptor, rsaKey } from '../../fixtures/builders/avb';
import { pseudoRandom } from '../../fixtures/builders/data';
import { requireTools, runTool, tempDir } from '../helpers';

export interface InnerImages {
  dir: string;
  simg: Buffer;
  boot: Buffer;
  vbmeta: Buffer;
}

export interface InnerImageOptions {
  /** Tools the test needs besides img2simg and mkbootimg (it is skipped without them). */
  tools?: string[];
  /** Pseudo-random bytes in the system image (default 20,000). */
  dataBytes?: number;
  osVersion?: string;
  patchLevel?: string;
  /** The hash descriptor's salt (default 32 bytes of 7). */
  salt?: Buffer;
  key?: KeyObject;
}

/** Null (the test skipped, saying why) when a tool is missing. */
export function innerImages(t: Parameters<typeof tempDir>[0], o: InnerImageOptions = {}): InnerImages | null {
  if (!requireTools(t, 'img2simg', 'mkbootimg', ...(o.tools ?? []))) return null;
  const dir = tempDir(t);
  const raw = Buffer.alloc(1 << 20);
  pseudoRandom(o.dataBytes ?? 20000, 3).copy(raw, 8192);
  writeFileSync(join(dir, 'system.raw'), raw);
  runTool('img2simg', [join(dir, 'system.raw'), join(dir, 'system.simg')]);
  writeFileSync(join(dir, 'kernel'), pseudoRandom(9000, 4));
  const bootArgs = ['--kernel', join(dir, 'kernel'), '--header_version', '2', '--dtb', join(dir, 'kernel')];
  runTool('mkbootimg', [...bootArgs, '--os_version', o.osVersion ?? '10.0.0', '--os_patch_level', o.patchLevel ?? '2020-03', '-o', join(dir, 'boot.img')]);
  const boot = readFileSync(join(dir, 'boot.img'));
  const vbmeta = buildVbmeta({ algorithm: 'SHA256_RSA2048', key: o.key ?? rsaKey(2048), descriptors: [hashDescriptor(boot, 'boot', o.salt ?? Buffer.alloc(32, 7))] });
  return { dir, simg: readFileSync(join(dir, 'system.simg')), boot, vbmeta };
}
