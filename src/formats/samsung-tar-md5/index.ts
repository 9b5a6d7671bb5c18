import { phrases, str, counted } from '../summary';
/**
 * Samsung Odin `.tar.md5` (FORMATS.md §9.1): a ustar archive followed by one
 * md5sum line whose digest covers every byte before that line. The md5 is
 * computed in the walk's single hashing pass over the file.
 */
import type { RandomSource } from '../../io/source';
import type { ContainerHandler, ContainerResult, DecodeContext } from '../types';
import { readTar, looksLikeTarHeader } from '../tar/read';
import type { Fact } from '../../report/model';
import { buildFact, declaration } from '../../compat/declarations';
import { parseOdinName } from '../../compat/samsung';
import type { SamsungTarMd5Info } from '../../report/info';

const TAIL = 4096;
const LINE = /^([0-9a-fA-F]{32})  ?\*?([^\n\0]*)\n?$/;

/** Finds the trailing md5sum line: its offset, digest and the name it carries. */
async function findMd5Line(src: RandomSource): Promise<{ start: number; md5: string; name: string } | null> {
  const n = Math.min(TAIL, src.size);
  const tail = await src.read(src.size - n, n);
  // The line sits after the tar's zero blocks: it starts after the last NUL.
  const lastNul = tail.lastIndexOf(0);
  const m = LINE.exec(tail.subarray(lastNul + 1).toString('latin1'));
  if (!m) return null;
  return { start: src.size - n + lastNul + 1, md5: m[1].toLowerCase(), name: m[2].trim() };
}

/**
 * An Odin archive named by Samsung's convention (`AP_`, `BL_`, `CP_`, `CSC_`,
 * `HOME_CSC_`, FORMATS.md §9.3) declares the model, and gives the build (AP)
 * and, for AP and BL, the bootloader binary revision.
 */
export function odinNameDeclarations(name: string): Fact[] {
  const odin = parseOdinName(name);
  if (!odin) return [];
  const what = `${odin.component} file name`;
  const out: Fact[] = [declaration('odin-file-name', [{ key: 'model', property: what, value: odin.version.model }], { enforced: false })];
  // Samsung's ro.build.version.incremental is the AP version (T870XXU2BUC6).
  if (odin.component === 'AP') out.push(buildFact('odin-file-name', 'incremental', what, odin.version.version));
  if (odin.component === 'AP' || odin.component === 'BL') {
    out.push(buildFact('odin-file-name', 'anti-rollback', `${what} (${odin.version.version}, binary revision)`, String(odin.version.binary), { scheme: 'samsung-binary' }));
  }
  return out;
}

/** Decodes a tar, and when an md5sum line follows it, checks it like Odin does. */
export async function decodeTarWithMd5(src: RandomSource, ctx: DecodeContext, named: boolean): Promise<ContainerResult> {
  const tar = await readTar(src, ctx);
  for (const f of odinNameDeclarations(src.name)) ctx.fact(f);
  const line = await findMd5Line(src);
  if (!line) {
    if (named) ctx.fact({ kind: 'tar-md5', message: 'no md5sum line at the end of the .tar.md5 file: its integrity cannot be checked' });
    return { info: tar.info, children: tar.children, format: named ? 'samsung-tar-md5' : 'tar' };
  }
  const info: SamsungTarMd5Info = { ...tar.info, md5Expected: line.md5, md5Name: line.name };
  return {
    format: 'samsung-tar-md5',
    info,
    children: tar.children,
    rangeDigests: [
      {
        algo: 'md5',
        start: 0,
        end: line.start,
        // Only this container's own facts wait on it: its members are read once, for their digests and this one.
        standalone: true,
        done: (hex) => {
          info.md5Actual = hex;
          if (hex === line.md5) ctx.fact({ kind: 'tar-md5-ok', message: `md5 of the tar bytes matches the trailing line (${hex})` });
          else ctx.fact({ kind: 'tar-md5', message: `md5 of the tar bytes is ${hex}, the trailing md5sum line says ${line.md5}` });
        },
      },
    ],
  };
}

export const samsungTarMd5Handler: ContainerHandler = {
  id: 'samsung-tar-md5',
  summary: (i) => phrases(counted(i.files, 'file'), str(i.md5Expected) && (i.md5Actual === i.md5Expected ? 'md5 matches' : str(i.md5Actual) ? 'md5 differs' : 'md5 unchecked')),
  kind: 'container',
  traits: { role: 'archive', confidence: 'magic' },
  description: 'Samsung Odin firmware archive (.tar.md5: tar + trailing md5sum line)',
  // Any tar is checked for a trailing md5 line (see tarHandler); the name only
  // decides whether a missing line is worth a finding.
  detect: ({ peek, name }) => looksLikeTarHeader(peek) && /\.tar\.md5$/i.test(name),
  decode: (src, ctx) => decodeTarWithMd5(src, ctx, true),
};
