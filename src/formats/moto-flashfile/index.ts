/**
 * Motorola fastboot packages: `flashfile.xml` and `servicefile.xml` (the same
 * format; the service file skips the steps that erase user data). Root
 * `<flashing>`, a `<header>` naming the phone model and the software version
 * (`<phone_model model="milan_g"/>`, `<software_version version="milan_g-user
 * 12 S3RDES32.123-37-5-11 502d0 release-keys"/>`) and configuration files
 * with their digests (`<subsidy_lock_config MD5=".." name=".."/>`,
 * `<regulatory_config SHA1=".." name=".."/>`), then `<steps>`: one `<step>`
 * per fastboot command, `operation="flash" partition="boot_a"
 * filename="boot.img" MD5="<hex>"` for images, `erase`, `getvar`, `oem` for
 * the rest. Split images are flashed as `super.img_sparsechunk.0`, `.1`, ...
 * to one partition, in order.
 *
 * Read with the strict XML reader of ./qcom-rawprogram/xml (no DTD, no
 * entities, capped). The MD5s are checked against the files beside it by the
 * sibling hook in ./siblings; the flash steps are a layout for the layout/*
 * rules (a file a step flashes that the package lacks is layout/missing-image).
 */
import type { DocumentHandler } from '../types';
import type { Fact } from '../../report/model';
import { firstN } from '../../report/lists';
import { HEX_LENGTH_ALGO, type HashAlgo } from '../../io/hash';
import { layoutFact, type LayoutEntry } from '../layout';
import { parseSimpleXml } from '../qcom-rawprogram/xml';
import { rootElementName } from '../qcom-rawprogram';
import { buildFact, declaration } from '../../compat/declarations';

/** Real flashfiles have about a hundred steps. */
const MAX_ELEMENTS = 20_000;
const MAX_PROBLEMS = 50;
const MAX_BYTES = 4 << 20;
const NAME = /(^|[\\/])(flashfile|servicefile)[^/\\]*\.xml$/i;

export interface MotoStep {
  /** 1-based position among the steps. */
  index: number;
  operation: string;
  partition?: string;
  filename?: string;
  /** Lower-case hex, when the step gives one. */
  md5?: string;
  /** `var` of getvar/oem steps. */
  var?: string;
}

/** A file the header names with its digest (subsidy lock, regulatory, CID template). */
export interface MotoConfigFile {
  element: string;
  name: string;
  algo: HashAlgo;
  hex: string;
}

export interface ParsedFlashfile {
  phoneModel: string | null;
  softwareVersion: string | null;
  steps: MotoStep[];
  configFiles: MotoConfigFile[];
  problems: string[];
}

/** Whether text is a Motorola flashfile: root element `<flashing>`. */
export function looksLikeFlashfile(text: string): boolean {
  return rootElementName(text) === 'flashing';
}

export function isFlashfileName(name: string): boolean {
  return NAME.test(name);
}

const HEX = /^[0-9a-f]+$/i;

/** Parses a flashfile; problems are described in words, never thrown. */
export function parseFlashfile(text: string): ParsedFlashfile {
  const out: ParsedFlashfile = { phoneModel: null, softwareVersion: null, steps: [], configFiles: [], problems: [] };
  const xml = parseSimpleXml(text, { maxElements: MAX_ELEMENTS });
  if (xml.problem) out.problems.push(`${xml.problem.message} (character ${xml.problem.offset})`);
  if (xml.root !== null && xml.root !== 'flashing') {
    out.problems.push(`root element is <${xml.root}>, not <flashing>`);
    return out;
  }
  let section: string | null = null;
  for (const el of xml.elements) {
    if (el.depth === 1) {
      section = el.name;
      continue;
    }
    if (el.depth !== 2) continue;
    if (section === 'header') {
      if (el.name === 'phone_model' && el.attrs.model !== undefined) out.phoneModel = el.attrs.model.trim();
      else if (el.name === 'software_version' && el.attrs.version !== undefined) out.softwareVersion = el.attrs.version.trim();
      else if (el.attrs.name !== undefined) {
        // `<subsidy_lock_config MD5=".." name=".."/>`: any header element with a digest and a file name.
        for (const attr of ['MD5', 'SHA1', 'SHA256']) {
          const hex = el.attrs[attr];
          if (hex === undefined) continue;
          const algo = attr.toLowerCase() as HashAlgo;
          if (HEX_LENGTH_ALGO[hex.length] !== algo || !HEX.test(hex)) out.problems.push(`<${el.name}>: ${attr}="${hex.slice(0, 80)}" is not a ${attr} digest`);
          else if (el.attrs.name.trim() !== '') out.configFiles.push({ element: el.name, name: el.attrs.name.trim(), algo, hex: hex.toLowerCase() });
        }
      }
    } else if (section === 'steps' && el.name === 'step') {
      const step: MotoStep = { index: out.steps.length + 1, operation: (el.attrs.operation ?? '').trim() };
      if (el.attrs.partition !== undefined) step.partition = el.attrs.partition.trim();
      if (el.attrs.filename !== undefined) step.filename = el.attrs.filename.trim();
      if (el.attrs.var !== undefined) step.var = el.attrs.var;
      const md5 = el.attrs.MD5 ?? el.attrs.md5;
      if (md5 !== undefined) {
        if (md5.length === 32 && HEX.test(md5)) step.md5 = md5.toLowerCase();
        else out.problems.push(`step ${step.index}: MD5="${md5.slice(0, 80)}" is not an MD5 digest`);
      }
      if (step.operation === '') out.problems.push(`step ${step.index}: no operation`);
      if (step.operation === 'flash' && (!step.partition || !step.filename)) out.problems.push(`step ${step.index}: a flash step without ${step.partition ? 'filename' : 'partition'}`);
      out.steps.push(step);
    }
  }
  if (xml.root === 'flashing' && !xml.problem && out.steps.length === 0) out.problems.push('no <steps>');
  return out;
}

/** The flash steps as a layout: one entry per file flashed (a split image's pieces each). */
function flashLayout(p: ParsedFlashfile): LayoutEntry[] {
  return p.steps.filter((s) => s.operation === 'flash' && s.partition && s.filename).map((s) => ({ partition: s.partition!, file: s.filename!, sizeBytes: null, startBytes: null, device: 'disk', flashed: true }));
}

/**
 * `ro.build.description`: `<product>-<variant> <release> <build id>
 * <incremental> <tags>` (`milan_g-user 12 S3RDES32.123-37-5-11 502d0 release-keys`).
 */
function describeVersion(v: string): { type: string; incremental: string; tags: string } | null {
  const m = /^\S+-(user|userdebug|eng)\s+\S+\s+\S+\s+(\S+)\s+(\S+)$/.exec(v);
  return m ? { type: m[1], incremental: m[2], tags: m[3] } : null;
}

export const motoFlashfileHandler: DocumentHandler = {
  id: 'moto-flashfile',
  kind: 'document',
  traits: { role: 'layout', confidence: 'name' },
  description: 'Motorola flashfile.xml / servicefile.xml (fastboot flash steps with an MD5 per image)',
  maxBytes: MAX_BYTES,
  detect: ({ peek, name }) => looksLikeFlashfile(peek.toString('latin1')) && (isFlashfileName(name) || /<steps[\s>]/.test(peek.toString('latin1'))),
  decode(bytes, ctx) {
    const p = parseFlashfile(bytes.toString('utf8'));
    for (const f of firstN<Fact>(
      p.problems.map((message) => ({ kind: 'layout-invalid', message })),
      MAX_PROBLEMS,
      (n) => ({ kind: 'layout-invalid', message: `${n} more problems` }),
    ))
      ctx.fact(f);
    if (p.phoneModel) ctx.fact(declaration('moto-flashfile', [{ key: 'device', property: 'phone_model', value: p.phoneModel }], { enforced: false }));
    if (p.softwareVersion) {
      const d = describeVersion(p.softwareVersion);
      if (d) {
        ctx.fact(buildFact('moto-flashfile', 'type', 'software_version', d.type));
        ctx.fact(buildFact('moto-flashfile', 'tags', 'software_version', d.tags));
        ctx.fact(buildFact('moto-flashfile', 'incremental', 'software_version', d.incremental));
      }
    }
    ctx.fact(layoutFact('moto-flashfile', flashLayout(p)));
    const ops: Record<string, number> = {};
    for (const s of p.steps) ops[s.operation] = (ops[s.operation] ?? 0) + 1;
    return {
      ...(p.phoneModel === null ? {} : { phoneModel: p.phoneModel }),
      ...(p.softwareVersion === null ? {} : { softwareVersion: p.softwareVersion }),
      stepCount: p.steps.length,
      operations: ops,
      md5Count: p.steps.filter((s) => s.md5).length,
      steps: p.steps,
      ...(p.configFiles.length ? { configFiles: p.configFiles } : {}),
    };
  },
};
