import { phrases, str, counted } from '../summary';
/** TAR handler; the reader lives in read.ts so Odin .tar.md5 shares it. */
import type { ContainerHandler } from '../types';
import { looksLikeTarHeader } from './read';
import { decodeTarWithMd5 } from '../samsung-tar-md5';

export const tarHandler: ContainerHandler = {
  id: 'tar',
  summary: (i) => phrases(str(i.flavour), counted(i.files, 'file')),
  kind: 'container',
  traits: { role: 'archive', confidence: 'magic' },
  description: 'TAR archive (ustar, GNU, pax)',
  detect: ({ peek, name }) => {
    if (peek.length < 512) return false;
    if (peek.toString('latin1', 257, 262) === 'ustar') return looksLikeTarHeader(peek);
    return /\.tar$/i.test(name) && looksLikeTarHeader(peek);
  },
  decode: (src, ctx) => decodeTarWithMd5(src, ctx, false),
};
