/**
 * Byte ranges that the items of a firmware package table point at (a
 * Unisoc `.pac` file table, a Rockchip `RKAF` item table). A table may name
 * the same bytes twice (a Rockchip A/B image lists `uboot_a` and `uboot_b`
 * over one copy of uboot.img), which is listed once; an item that overlaps
 * another in part is no copy of it, so it is not read at all. Either way the
 * children together never cover a byte twice, so a lying table cannot make
 * the walk read the file over and over.
 */
export interface ItemRange {
  start: number;
  end: number;
  /** What the item is called in messages. */
  name: string;
}

export type RangeVerdict = { kind: 'new' } | { kind: 'same'; as: string } | { kind: 'overlaps'; with: ItemRange };

export class ItemRanges {
  private readonly taken: ItemRange[] = [];

  /** Records [start, end) unless it repeats or overlaps an earlier range; says which. */
  claim(r: ItemRange): RangeVerdict {
    for (const t of this.taken) {
      if (t.start === r.start && t.end === r.end) return { kind: 'same', as: t.name };
      if (r.start < t.end && t.start < r.end) return { kind: 'overlaps', with: t };
    }
    this.taken.push(r);
    return { kind: 'new' };
  }
}

/** A table's file name as a child name: `/` separated, no empty, `.` or `..` part, printable ASCII; null when nothing is left. */
export function safeItemPath(raw: string): string | null {
  const parts = raw
    .replace(/\\/g, '/')
    .split('/')
    .map((p) => p.replace(/[^\x20-\x7e]/g, '_').trim())
    .filter((p) => p !== '' && p !== '.' && p !== '..');
  return parts.length ? parts.join('/') : null;
}

/** `name`, or `name#2`, `name#3`... (before the extension) when taken. */
export function uniqueName(taken: Set<string>, name: string): string {
  let out = name;
  for (let n = 2; taken.has(out); n++) {
    const dot = name.lastIndexOf('.');
    out = dot > name.lastIndexOf('/') + 1 ? `${name.slice(0, dot)}#${n}${name.slice(dot)}` : `${name}#${n}`;
  }
  taken.add(out);
  return out;
}
