/**
 * Declarations that other decoders expose only as `info`, turned into the
 * same facts the text decoders record (src/compat/declarations.ts). Run once
 * on the finished tree, before the rules:
 *
 * - android-boot: the header's board name (v0-v2 boot, vendor_boot) and OS
 *   patch level;
 * - samsung-pit: an ASCII project/platform name in header bytes 16-23
 *   (FORMATS.md §9.2, a community reading: used only when printable);
 * - mtk-scatter: `platform` (enforced: SP Flash Tool checks the chip) and `project`;
 * - Odin archives (samsung-tar-md5, tar) named `AP_`, `BL_`, `CP_`, `CSC_`,
 *   `HOME_CSC_`: the model, the build (AP) and, for AP and BL, the bootloader
 *   binary revision;
 * - avb-vbmeta: the rollback index and its location, when the vbmeta decoder
 *   gives them (`info.rollbackIndex`, `info.rollbackIndexLocation`);
 * - OTA metadata that another decoder exposes in the `OtaMetadataInfo` shape
 *   of src/formats/ota-metadata (`precondition`, `postcondition`...: what a
 *   metadata.pb decoder gives), when it recorded no declaration facts itself
 *   (a decoder may also call `otaMetadataFacts` directly).
 */
import { walkArtifacts, type Artifact, type Fact } from '../report/model';
import { buildFact, declaration, isBuildFact, isDeclaration } from './declarations';
import { parseOdinName } from './samsung';
import { otaMetadataFacts } from '../formats/ota-metadata';

const PRINTABLE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{1,31}$/;

function str(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
}

/** A non-negative whole number from a number, bigint or decimal string. */
function whole(v: unknown): string | null {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return String(v);
  if (typeof v === 'bigint' && v >= 0n) return v.toString();
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) return BigInt(v).toString();
  return null;
}

function pitPlatform(header: unknown): string | null {
  if (!header || typeof header !== 'object') return null;
  const h = header as Record<string, unknown>;
  const b = Buffer.alloc(8);
  for (let i = 0; i < 4; i++) {
    const v = h[`unknown${3 + i}`];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff) return null;
    b.writeUInt16LE(v, i * 2);
  }
  const nul = b.indexOf(0);
  const s = (nul < 0 ? b : b.subarray(0, nul)).toString('latin1');
  return PRINTABLE_NAME.test(s) ? s : null;
}

function derivedFacts(a: Artifact): Fact[] {
  const out: Fact[] = [];
  const info = a.info;
  switch (a.format) {
    case 'android-boot': {
      const board = str(info.board);
      if (board) out.push(declaration('boot-header', [{ key: 'board', property: 'board name', value: board }], { enforced: false }));
      const patch = str(info.patchLevel);
      if (patch) out.push(buildFact('boot-header', 'security-patch', 'os_patch_level', patch));
      break;
    }
    case 'samsung-pit': {
      const p = pitPlatform(info.header);
      if (p) out.push(declaration('samsung-pit', [{ key: 'board', property: 'PIT header project', value: p }], { enforced: false }));
      break;
    }
    case 'mtk-scatter': {
      const platform = str(info.platform);
      // SP Flash Tool refuses a scatter file whose platform is not the connected chip.
      if (platform) out.push(declaration('mtk-scatter', [{ key: 'board', property: 'platform', value: platform }], { enforced: true }));
      const project = str(info.project);
      if (project) out.push(declaration('mtk-scatter', [{ key: 'project', property: 'project', value: project }], { enforced: false }));
      break;
    }
    case 'avb-vbmeta': {
      // A GKI boot signature's index is not one the bootloader stores.
      if (info.role === 'gki-boot-signature') break;
      const index = whole(info.rollbackIndex);
      if (index !== null) {
        const loc = whole(info.rollbackIndexLocation);
        out.push(buildFact('avb-vbmeta', 'anti-rollback', 'rollback_index', index, { scheme: 'avb', location: loc === null ? 0 : Number(loc) }));
      }
      break;
    }
  }
  if (a.format === 'samsung-tar-md5' || a.format === 'tar') {
    const odin = parseOdinName(a.name);
    if (odin) {
      const what = `${odin.component} file name`;
      out.push(declaration('odin-file-name', [{ key: 'model', property: what, value: odin.version.model }], { enforced: false }));
      // Samsung's ro.build.version.incremental is the AP version (T870XXU2BUC6).
      if (odin.component === 'AP') out.push(buildFact('odin-file-name', 'incremental', what, odin.version.version));
      if (odin.component === 'AP' || odin.component === 'BL') {
        out.push(buildFact('odin-file-name', 'anti-rollback', `${what} (${odin.version.version}, binary revision)`, String(odin.version.binary), { scheme: 'samsung-binary' }));
      }
    }
  }
  // OTA metadata from another decoder (metadata.pb), in the shape of src/formats/ota-metadata.
  if ((isObject(info.precondition) || isObject(info.postcondition)) && !a.facts.some((f) => isDeclaration(f) || isBuildFact(f))) {
    try {
      out.push(...otaMetadataFacts(info));
    } catch {
      // Info of an unexpected shape declares nothing.
    }
  }
  return out;
}

function isObject(v: unknown): boolean {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** Adds the derived facts to every artifact of the tree. */
export function addDerivedFacts(root: Artifact): void {
  for (const a of walkArtifacts(root)) a.facts.push(...derivedFacts(a));
}
