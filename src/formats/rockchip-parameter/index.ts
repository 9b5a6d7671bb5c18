/**
 * Rockchip `parameter.txt` (and `parameter.img`, the same text after a
 * `PARM` magic and a u32 little-endian length, followed by a Rockchip CRC-32
 * of the text, as rkcrc -p writes it): `KEY: value` lines (FIRMWARE_VER,
 * MACHINE_MODEL, MACHINE_ID, MANUFACTURER, MAGIC 0x5041524B, ATAG, MACHINE,
 * CHECK_MASK, CMDLINE...). The `mtdparts=<id>:size@offset(name)` list on
 * the CMDLINE line is the partition layout the Rockchip tools flash by:
 * sizes and offsets in 512-byte sectors, `-` for a partition that takes
 * the rest of the device (`:grow`). It becomes a `layout` fact (one entry
 * per partition, on device `flash`, the image `<name>.img`), so
 * layout/image-too-large and layout/overlap apply; MACHINE_MODEL is a
 * board declaration.
 */
import type { DocumentHandler } from '../types';
import { decodeText } from '../text';
import { layoutFact, type LayoutEntry } from '../layout';
import { declaration } from '../../compat/declarations';
import { rkCrcUpdate } from '../image-checksum';

const SECTOR = 512;
const MAX_BYTES = 1 << 20;
const MAX_PARTITIONS = 1024;
const NAME = /(?:^|\/)parameter(?:[._-][^/]*)?(?:\.txt|\.img)?$/i;
const MTDPART = /^(-|0x[0-9a-f]+|\d+)@(0x[0-9a-f]+|\d+)\(([^)]*)\)$/i;

function isParameterText(t: string): boolean {
  return /^\s*CMDLINE\s*:.*mtdparts=/m.test(t) || (/^\s*FIRMWARE_VER\s*:/m.test(t) && /^\s*MAGIC\s*:\s*0x5041524B/im.test(t));
}

export const rockchipParameterHandler: DocumentHandler = {
  id: 'rockchip-parameter',
  kind: 'document',
  description: 'Rockchip parameter.txt / parameter.img: firmware keys and the mtdparts partition layout',
  traits: { role: 'layout', confidence: 'name' },
  maxBytes: MAX_BYTES,
  detect: ({ peek, name }) => {
    if (peek.length >= 8 && peek.toString('latin1', 0, 4) === 'PARM') return isParameterText(peek.toString('latin1', 8));
    const t = peek.toString('latin1');
    return isParameterText(t) && (NAME.test(name) || /^\s*FIRMWARE_VER\s*:/m.test(t));
  },
  decode(bytes, ctx) {
    const info: Record<string, unknown> = {};
    let text: string;
    if (bytes.toString('latin1', 0, 4) === 'PARM') {
      const len = bytes.readUInt32LE(4);
      info.wrapped = 'PARM';
      info.textLength = len;
      if (8 + len + 4 > bytes.length) {
        ctx.fact({ kind: 'truncated', message: `the PARM header gives ${len} bytes of text and a 4-byte CRC, the file has ${bytes.length - 8} after the header`, offset: 4 });
        text = bytes.toString('latin1', 8);
      } else {
        text = bytes.toString('latin1', 8, 8 + len);
        const want = bytes.readUInt32LE(8 + len);
        const got = rkCrcUpdate(0, bytes.subarray(8, 8 + len));
        const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
        if (got === want) ctx.fact({ kind: 'image-checksum-ok', message: `the parameter text's CRC (Rockchip CRC-32 ${hex(want)}) matches`, offset: 8 + len });
        else ctx.fact({ kind: 'image-checksum', message: `the parameter text's CRC is ${hex(want)}, but its ${len} bytes give ${hex(got)} (Rockchip CRC-32)`, offset: 8 + len });
      }
    } else text = decodeText(bytes).text;
    const keys: Record<string, string> = {};
    const lines = text.split(/\r?\n/);
    let cmdline: string | null = null;
    let cmdlineLine = 0;
    lines.forEach((line, i) => {
      const m = /^\s*([A-Z_][A-Z0-9_]*)\s*:\s?(.*)$/.exec(line);
      if (!m) return;
      if (m[1] === 'CMDLINE') {
        cmdline = m[2].trim();
        cmdlineLine = i + 1;
      } else if (Object.keys(keys).length < 64) keys[m[1]] = m[2].trim();
    });
    Object.assign(info, keys);
    if (keys.MACHINE_MODEL) {
      const line = lines.findIndex((l) => /^\s*MACHINE_MODEL\s*:/.test(l)) + 1;
      ctx.fact(declaration('rockchip-parameter', [{ key: 'board', property: 'MACHINE_MODEL', value: keys.MACHINE_MODEL }], { enforced: false, line }));
    }
    if (cmdline === null) {
      ctx.fact({ kind: 'layout-invalid', message: 'no CMDLINE line: the file gives no partition layout' });
      return info;
    }
    const mtd = /(?:^|\s)mtdparts=([^\s]*)/.exec(cmdline);
    if (!mtd) {
      ctx.fact({ kind: 'layout-invalid', message: `line ${cmdlineLine}: CMDLINE has no mtdparts= list`, line: cmdlineLine });
      return info;
    }
    const colon = mtd[1].indexOf(':');
    info.mtdId = colon < 0 ? null : mtd[1].slice(0, colon);
    const parts = (colon < 0 ? mtd[1] : mtd[1].slice(colon + 1)).split(',').filter((p) => p !== '');
    const entries: LayoutEntry[] = [];
    const listed: Record<string, unknown>[] = [];
    for (const p of parts.slice(0, MAX_PARTITIONS)) {
      const m = MTDPART.exec(p);
      if (!m) {
        ctx.fact({ kind: 'layout-invalid', message: `line ${cmdlineLine}: "${p.slice(0, 80)}" is not size@offset(name)` });
        continue;
      }
      const [name, ...flags] = m[3].split(':');
      const grow = m[1] === '-';
      const sectors = grow ? null : Number(m[1]);
      const start = Number(m[2]);
      listed.push({ name, startSector: start, sectors: grow ? 'grow' : sectors, ...(flags.length ? { flags } : {}) });
      entries.push({ partition: name, file: null, sizeBytes: sectors === null ? null : sectors * SECTOR, startBytes: start * SECTOR, device: 'flash', flashed: true });
    }
    if (parts.length > MAX_PARTITIONS) ctx.fact({ kind: 'budget', message: `${parts.length} partitions, more than ${MAX_PARTITIONS}; the rest are not read` });
    info.partitions = listed;
    ctx.fact(layoutFact('rockchip-parameter', entries));
    return info;
  },
};
