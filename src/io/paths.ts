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
  return cleaned === '' ? 'artifact.bin' : cleaned;
}
