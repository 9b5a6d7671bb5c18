/** Finding the image a layout entry names among the artifacts of a package. */
import { walkArtifacts, type Artifact } from '../../report/model';
import { isCompression } from '../../formats/registry';

export type ImageIndex = Map<string, Artifact[]>;

/** Every artifact by its base name (members of nested archives included). */
export function imageIndex(root: Artifact): ImageIndex {
  const idx: ImageIndex = new Map();
  for (const a of walkArtifacts(root)) {
    if (a === root) continue;
    const base = a.name.split('/').pop()!.toLowerCase();
    const list = idx.get(base);
    if (list) list.push(a);
    else idx.set(base, [a]);
  }
  return idx;
}

/**
 * The artifact a layout's file name refers to: `boot.img`, or the same image
 * compressed (`boot.img.lz4`, Samsung) or split (`super.img_sparsechunk.0`
 * joins into `super.img`, which the walk adds).
 */
export function findImage(idx: ImageIndex, file: string): Artifact | null {
  const base = file.split(/[\\/]/).pop()!.toLowerCase();
  for (const name of [base, `${base}.lz4`, `${base}.gz`, `${base}.br`]) {
    const hit = idx.get(name);
    if (hit?.length) return hit[0];
  }
  return null;
}

/** Bytes the image occupies once written: expanded for sparse, decoded for compressed. */
export function imageSize(a: Artifact): number | null {
  if (a.format === 'android-sparse' && typeof a.info.expandedSize === 'number') return a.info.expandedSize;
  if (isCompression(a.format) && a.children[0]) return imageSize(a.children[0]);
  return a.size;
}
