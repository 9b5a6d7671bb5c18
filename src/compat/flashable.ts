/**
 * Whether a package looks like something a user flashes onto a phone as a
 * whole, for `compat/no-device-declared`. A *package* is an archive: the
 * input is a zip, a tar or a `.tar.md5` (or a gzip/lz4/xz... stream holding
 * one, such as a Xiaomi `.tgz`). It is *flashable* when it carries what a
 * flashing tool follows or what makes it an Android ROM:
 *
 * - flashing instructions: OTA metadata, an updater-script (one with at least
 *   one statement: a comment-only one, such as Magisk's `#MAGISK`, leaves the
 *   work and any device check to update-binary, which is not read), an OTA payload
 *   (`payload.bin`), an android-info.txt (`fastboot update`), a flash script
 *   (`flash_all.sh`), a flash layout a tool follows (MTK scatter, Qualcomm
 *   rawprogram, Samsung PIT);
 * - an Odin firmware part named by Samsung's convention (`AP_`, `BL_`, `CP_`,
 *   `CSC_`, `HOME_CSC_`), the input itself or inside it;
 * - a boot image.
 *
 * An archive of other images only (super.img, sparse images, vbmeta, the
 * transfer lists and new.dat of a block OTA without its updater-script), of
 * text files, or a single image outside any archive, is not: nothing in it
 * is flashed as a unit.
 */
import { walkArtifacts, type Artifact } from '../report/model';

const ARCHIVES = new Set(['zip', 'tar', 'samsung-tar-md5']);
const STREAMS = new Set(['gzip', 'lz4', 'xz', 'zstd', 'bzip2', 'brotli', 'lzma']);
const ODIN_NAME = /^(AP|BL|CP|CSC|HOME_CSC)_[^/]*\.tar(\.md5)?$/i;

const FLASHABLE: Record<string, string> = {
  'android-boot': 'a boot image',
  'ota-metadata': 'OTA metadata',
  'updater-script': 'an updater-script',
  'android-info': 'an android-info.txt',
  'fastboot-script': 'a flash script',
  'mtk-scatter': 'a scatter file',
  'samsung-pit': 'a PIT',
  'qcom-rawprogram': 'a rawprogram list',
};

function isOdinPart(a: Artifact): boolean {
  return (a.format === 'samsung-tar-md5' || a.format === 'tar') && ODIN_NAME.test(a.name.split('/').pop() ?? a.name);
}

/** What makes the package flashable ("a boot image (boot.img)"), or null when it is not a flashable package. */
export function flashableEvidence(root: Artifact): string | null {
  let pkg = root;
  if (!ARCHIVES.has(root.format)) {
    const only = root.children.length === 1 ? root.children[0] : null;
    if (!STREAMS.has(root.format) || !only || !ARCHIVES.has(only.format)) return null;
    pkg = only;
  }
  if (isOdinPart(pkg)) return 'an Odin firmware part';
  for (const a of walkArtifacts(pkg)) {
    if (a === pkg) continue;
    // A comment-only updater-script (`#MAGISK`) is a dummy: update-binary does the work, and its checks are not read.
    if (a.format === 'updater-script' && a.info.statements === 0) continue;
    const what = FLASHABLE[a.format] ?? (isOdinPart(a) ? 'an Odin firmware part' : /^ota-payload/.test(a.format) || /(^|\/)payload\.bin$/.test(a.name) ? 'an OTA payload' : null);
    if (what) return `${what} (${a.path})`;
  }
  return null;
}
