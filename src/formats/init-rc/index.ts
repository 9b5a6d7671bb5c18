/**
 * Android init scripts (`init.rc`, `/system/etc/init/*.rc`,
 * `/vendor/etc/init/hw/init.<board>.rc`...), in the Android Init Language
 * (system/core/init/README.md): sections `on <trigger>`, `service <name>
 * <path> [args]` and `import <path>`; the lines after a section header are
 * its commands or options. A line may continue after a trailing backslash;
 * `#` starts a comment; `"..."` quotes a token.
 *
 * `info.services` lists every service with the program it runs and its
 * `user`, `group`, `seclabel` and `disabled` options; a service init starts
 * as root (no `user` option, or `user root`) or in the `su` SELinux domain is
 * also an `init-service` fact, for the security posture rules. Found as
 * children of ext4 and EROFS images (the scripts where init reads them) and
 * as members of a ramdisk.
 */
import type { DocumentHandler } from '../types';
import { baseName, decodeText, looksLikeText, splitLines } from '../text';

/** Scripts larger than this are hashed only (init.rc is some 50 KiB). */
const MAX_BYTES = 1024 * 1024;
/** Services listed in info per script. */
const MAX_SERVICES = 1000;

export interface InitService {
  name: string;
  /** 1-based line of the `service` line. */
  line: number;
  /** The program and its arguments. */
  exec: string[];
  user?: string;
  group?: string[];
  seclabel?: string;
  disabled?: true;
}

/** Splits one logical line into tokens: whitespace-separated, `"` quotes, `\` escapes, `#` at a token's start ends the line. */
function tokens(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inToken = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"') quoted = false;
      else if (c === '\\' && i + 1 < line.length) cur += line[++i];
      else cur += c;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      if (inToken) out.push(cur);
      cur = '';
      inToken = false;
    } else if (c === '#' && !inToken) break;
    else if (c === '"') {
      quoted = true;
      inToken = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inToken = true;
    } else {
      cur += c;
      inToken = true;
    }
  }
  if (inToken) out.push(cur);
  return out;
}

export function parseInitRc(text: string): { services: InitService[]; actions: number; imports: string[]; more: number } {
  const services: InitService[] = [];
  const imports: string[] = [];
  let actions = 0;
  let more = 0;
  let cur: InitService | null = null;
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    const first = i + 1;
    let line = lines[i];
    // A trailing backslash joins the next line (init's parser does the same).
    while (line.endsWith('\\') && i + 1 < lines.length) line = line.slice(0, -1) + ' ' + lines[++i];
    const t = tokens(line);
    if (t.length === 0) continue;
    const [word, ...args] = t;
    if (word === 'service') {
      cur = null;
      if (args.length < 2) continue;
      if (services.length >= MAX_SERVICES) {
        more++;
        continue;
      }
      cur = { name: args[0], line: first, exec: args.slice(1) };
      services.push(cur);
    } else if (word === 'on') {
      cur = null;
      actions++;
    } else if (word === 'import') {
      cur = null;
      if (args[0] && imports.length < MAX_SERVICES) imports.push(args[0]);
    } else if (cur) {
      if (word === 'user' && args[0]) cur.user = args[0];
      else if (word === 'group' && args.length) cur.group = args;
      else if (word === 'seclabel' && args[0]) cur.seclabel = args[0];
      else if (word === 'disabled') cur.disabled = true;
    }
  }
  return { services, actions, imports, more };
}

/** The SELinux domain init gives `su` (present on userdebug and eng builds only). */
export const SU_DOMAIN = /^u:r:su:s0(:|$)/;

export const initRcHandler: DocumentHandler = {
  id: 'init-rc',
  kind: 'document',
  traits: { role: 'document', confidence: 'name' },
  description: 'Android init script (init.rc, etc/init/*.rc): services and actions',
  maxBytes: MAX_BYTES,
  detect: ({ peek, name }) => baseName(name).toLowerCase().endsWith('.rc') && peek.length > 0 && looksLikeText(peek),
  decode(bytes, ctx) {
    const { text } = decodeText(bytes);
    const rc = parseInitRc(text);
    for (const s of rc.services) {
      const asRoot = s.user === undefined || s.user === 'root' || s.user === '0';
      const su = s.seclabel !== undefined && SU_DOMAIN.test(s.seclabel);
      if (!asRoot && !su) continue;
      const how = [asRoot ? (s.user === undefined ? 'as root (no user option)' : `as user ${s.user}`) : `as user ${s.user}`, su ? `in the SELinux domain ${s.seclabel}` : ''].filter(Boolean).join(' ');
      ctx.fact({
        kind: 'init-service',
        message: `line ${s.line}: service ${s.name} runs ${s.exec.join(' ')} ${how}`,
        service: s.name,
        exec: s.exec,
        user: s.user ?? null,
        seclabel: s.seclabel ?? null,
        disabled: s.disabled === true,
        line: s.line,
      });
    }
    if (rc.more) ctx.fact({ kind: 'unsupported', message: `${rc.more} services past the first ${MAX_SERVICES} of this script are not read` });
    return {
      services: rc.services,
      ...(rc.more ? { servicesNotListed: rc.more } : {}),
      actions: rc.actions,
      imports: rc.imports,
    };
  },
};
