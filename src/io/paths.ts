/**
 * Why a member name would escape the directory it is extracted into, or null
 * when it is safe. Member names come from untrusted archives.
 */
export function unsafePathReason(name: string): string | null {
  if (name.length === 0) return 'is empty';
  if (name.includes('\0')) return 'contains a NUL byte';
  if (/^[\\/]/.test(name)) return 'is an absolute path';
  if (/^[A-Za-z]:/.test(name)) return 'starts with a drive letter';
  if (name.split(/[\\/]+/).some((seg) => seg === '..')) return 'climbs out of the archive with ".."';
  return null;
}

/** A file name safe to create inside an output directory (last path segment, no tricks). */
export function safeBaseName(name: string): string {
  const seg =
    name
      .split(/[\\/]+/)
      .filter((s) => s && s !== '.' && s !== '..')
      .pop() ?? '';
  const cleaned = seg.replace(/[\0-\x1f]/g, '_').replace(/^[A-Za-z]:/, '');
  return cleaned === '' ? 'artifact.bin' : fitName(cleaned);
}

/**
 * Most bytes of a name written into a directory: file systems allow 255, and extract writes
 * `.<name>.romscope-<12 hex>.part` first (28 bytes more).
 */
export const MAX_OUTPUT_NAME_BYTES = 200;

/** A name cut to MAX_OUTPUT_NAME_BYTES in UTF-8: its start, `~`, and its end (which keeps the extension). */
function fitName(name: string): string {
  if (Buffer.byteLength(name) <= MAX_OUTPUT_NAME_BYTES) return name;
  const chars = [...name];
  const take = (list: string[], budget: number): string[] => {
    const out: string[] = [];
    let n = 0;
    for (const c of list) {
      n += Buffer.byteLength(c);
      if (n > budget) break;
      out.push(c);
    }
    return out;
  };
  const tail = take([...chars].reverse(), 48).reverse();
  const head = take(chars, MAX_OUTPUT_NAME_BYTES - 1 - Buffer.byteLength(tail.join('')));
  return `${head.join('')}~${tail.join('')}`;
}
