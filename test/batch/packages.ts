/** Small packages for the batch and store tests, built with fixtures/builders. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildZip } from '../../fixtures/builders/zip';

/** A good OTA-like zip (exit 0: one warning, unsigned), distinct per `seed`. */
export function goodZip(seed = 0): Buffer {
  return buildZip([
    { name: 'META-INF/com/android/metadata', data: Buffer.from(`ota-type=BLOCK\npre-device=walleye\npost-timestamp=${1700000000 + seed}\n`) },
    { name: 'system/build.prop', data: Buffer.from(`ro.product.device=walleye\nro.build.id=TEST.${seed}\n`), method: 'deflate' },
  ]);
}

/** A zip whose member's CRC-32 is wrong (integrity/zip-crc error, exit 1). */
export function badCrcZip(): Buffer {
  return buildZip([{ name: 'system/build.prop', data: Buffer.from('ro.product.device=walleye\n'), crc: 0x1234 }]);
}

/** A web server's error page saved under a package's name (format/not-firmware, exit 1). */
export function htmlPage(): Buffer {
  return Buffer.from('<!DOCTYPE html><html><head><title>404 Not Found</title></head><body>Not found</body></html>\n');
}

/** Writes `files` (name -> bytes) under `dir` and returns their paths. */
export function writeAll(dir: string, files: Record<string, Buffer>): string[] {
  return Object.entries(files).map(([name, data]) => {
    const p = join(dir, name);
    writeFileSync(p, data);
    return p;
  });
}
