/**
 * A job's input as a local file and its sha256: a path is hashed where it is
 * (shared storage); a URL is streamed into a file in a fresh temp directory,
 * hashed as the bytes arrive, and cut off at a size cap. This is the only
 * place romscope uses the network, and only for a URL a job gives it.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { sha256File } from '../batch/check-one';
import { isUrl } from './common';

/** An input that could not be read or fetched (the job fails and is retried; the message is the reason). */
export class InputError extends Error {}

export interface LocalInput {
  /** The file to check. */
  path: string;
  sha256: string;
  size: number;
  /** The file's modification time; null for a download. */
  mtimeMs: number | null;
  /** Removes the download (nothing for a path). */
  dispose(): Promise<void>;
}

export interface FetchOptions {
  /** Most bytes a download may have. */
  maxBytes: number;
  /** Where the download's temp directory goes (default the OS temp directory). */
  tempDir?: string;
  signal?: AbortSignal;
}

export async function localInput(input: string, o: FetchOptions): Promise<LocalInput> {
  if (isUrl(input)) return download(input, o);
  const st = await stat(input).catch((e: NodeJS.ErrnoException) => {
    throw new InputError(e.code === 'ENOENT' ? `${input}: no such file (is the shared storage mounted at the same path on this machine?)` : `${input}: cannot read (${e.code})`);
  });
  if (!st.isFile()) throw new InputError(`${input}: not a regular file`);
  const sha256 = await sha256File(input, o.signal).catch((e: NodeJS.ErrnoException) => {
    if (o.signal?.aborted) throw e;
    throw new InputError(`${input}: cannot read (${e.code ?? e.message})`);
  });
  return { path: input, sha256, size: st.size, mtimeMs: st.mtimeMs, dispose: async () => undefined };
}

function sizeText(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${n} bytes`;
}

async function download(url: string, o: FetchOptions): Promise<LocalInput> {
  const dir = await mkdtemp(join(o.tempDir ?? tmpdir(), 'romscope-queue-'));
  const dispose = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    let res: Response;
    try {
      res = await fetch(url, { redirect: 'follow', ...(o.signal ? { signal: o.signal } : {}) });
    } catch (e) {
      if (o.signal?.aborted) throw e;
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new InputError(`${url}: cannot fetch (${cause?.code ?? cause?.message ?? (e as Error).message})`);
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      throw new InputError(`${url}: the server answered ${res.status} ${res.statusText}`.trimEnd());
    }
    const declared = Number(res.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > o.maxBytes) {
      await res.body.cancel().catch(() => undefined);
      throw new InputError(`${url}: ${sizeText(declared)} declared, more than --max-download ${sizeText(o.maxBytes)}`);
    }
    const hash = createHash('sha256');
    let size = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > o.maxBytes) return done(new InputError(`${url}: more than --max-download ${sizeText(o.maxBytes)}`));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    const path = join(dir, 'input');
    try {
      await pipeline(Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>), count, createWriteStream(path, { mode: 0o600 }));
    } catch (e) {
      if (e instanceof InputError || o.signal?.aborted) throw e;
      throw new InputError(`${url}: the download broke off after ${sizeText(size)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    if (Number.isFinite(declared) && res.headers.has('content-length') && !res.headers.has('content-encoding') && declared !== size)
      throw new InputError(`${url}: ${sizeText(size)} received, ${sizeText(declared)} declared`);
    return { path, sha256: hash.digest('hex'), size, mtimeMs: null, dispose };
  } catch (e) {
    await dispose();
    throw e;
  }
}
