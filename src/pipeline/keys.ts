/** Loads the `--key` files (or bytes) into trusted keys; a file that holds no key is a usage error. */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { UsageError } from '../io/errors';
import { parseKeyFile, type TrustedKey } from '../crypto/keys';

export async function loadKeys(items: (string | Buffer)[]): Promise<TrustedKey[]> {
  const out: TrustedKey[] = [];
  for (const [i, item] of items.entries()) {
    let bytes: Buffer;
    let label: string;
    if (typeof item === 'string') {
      label = `--key ${basename(item)}`;
      try {
        bytes = await readFile(item);
      } catch (e) {
        throw new UsageError(`--key ${item}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
    } else {
      bytes = item;
      label = `key ${i + 1}`;
    }
    try {
      out.push(...parseKeyFile(bytes, label, 'user'));
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  return out;
}
