/**
 * `payload_properties.txt` beside payload.bin in an A/B OTA package
 * (FORMATS.md §6.6): `KEY=value` lines giving the SHA-256 (base64) and size
 * of the whole payload and of its metadata. The values are checked against
 * payload.bin by the OTA package checks (src/formats/ota-package).
 */
import type { DocumentHandler } from '../types';

export interface PayloadProperties {
  /** SHA-256 of the whole payload.bin, hex (from base64 FILE_HASH). */
  fileSha256?: string;
  fileSize?: number;
  /** SHA-256 of the payload's first METADATA_SIZE bytes, hex. */
  metadataSha256?: string;
  metadataSize?: number;
  /** Every key as written (POWERWASH, SWITCH_SLOT_ON_REBOOT...). */
  values: Record<string, string>;
  /** Lines or values that are not what the format says. */
  problems: string[];
}

const LINE = /^([A-Z0-9_]+)=(.*)$/;

function sha256FromBase64(v: string): string | null {
  if (!/^[A-Za-z0-9+/]{43}=$/.test(v)) return null;
  return Buffer.from(v, 'base64').toString('hex');
}

export function parsePayloadProperties(text: string): PayloadProperties {
  const out: PayloadProperties = { values: {}, problems: [] };
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const m = LINE.exec(line);
    if (!m) {
      if (out.problems.length < 20) out.problems.push(`line ${i + 1} is not KEY=value`);
      return;
    }
    out.values[m[1]] = m[2];
  });
  const hash = (key: string) => {
    const v = out.values[key];
    if (v === undefined) return undefined;
    const hex = sha256FromBase64(v);
    if (hex === null) out.problems.push(`${key} is not a base64 SHA-256 (44 characters)`);
    return hex ?? undefined;
  };
  const size = (key: string) => {
    const v = out.values[key];
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) {
      out.problems.push(`${key} is not a decimal size`);
      return undefined;
    }
    return Number(v);
  };
  out.fileSha256 = hash('FILE_HASH');
  out.fileSize = size('FILE_SIZE');
  out.metadataSha256 = hash('METADATA_HASH');
  out.metadataSize = size('METADATA_SIZE');
  return out;
}

export const payloadPropertiesHandler: DocumentHandler = {
  id: 'payload-properties',
  kind: 'document',
  traits: { role: 'update', confidence: 'name' },
  description: 'A/B OTA payload properties (payload_properties.txt: FILE_HASH, FILE_SIZE, METADATA_HASH, METADATA_SIZE)',
  maxBytes: 64 * 1024,
  detect: ({ peek, name }) => {
    const text = peek.toString('latin1');
    const known = ['FILE_HASH=', 'FILE_SIZE=', 'METADATA_HASH=', 'METADATA_SIZE='].filter((k) => new RegExp(`(^|\\n)${k}`).test(text)).length;
    return known >= (/(^|\/)payload_properties\.txt$/.test(name) ? 1 : 3) && /^[\x20-\x7e\r\n\t]*$/.test(text);
  },
  decode(bytes, ctx) {
    const p = parsePayloadProperties(bytes.toString('utf8'));
    for (const problem of p.problems) ctx.fact({ kind: 'unreadable', message: problem });
    return {
      fileSha256: p.fileSha256,
      fileSize: p.fileSize,
      metadataSha256: p.metadataSha256,
      metadataSize: p.metadataSize,
      properties: p.values,
    };
  },
};
