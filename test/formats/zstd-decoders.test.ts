/**
 * The two zstd decoders — libzstd through zstd-napi (the fast path) and
 * fzstd (pure JavaScript, the fallback) — decode what the zstd tool writes
 * identically, as REPLACE_ZSTD operations (decodeWhole) and as `.zst`
 * members (zstdMemberStream, whose checksum and content-size findings are
 * romscope's own whichever decoder runs), and refuse the same bad input.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chooseZstdDecoder, CodecError, decodeWhole, nativeZstdDecoder, zstdMemberStream } from '../../src/codecs';
import { pseudoRandom, compressible } from '../../fixtures/builders/data';
import { hasTool, runTool } from '../helpers';

function zstd(data: Buffer, ...args: string[]): Buffer {
  const r = runTool('zstd', ['-c', '-q', ...args], { input: data });
  assert.equal(r.status, 0, r.stderr?.toString());
  return r.stdout;
}

/** zstd-napi is an optional dependency: when installed it must load; when not, the native cases skip visibly. */
function nativeInstalled(): boolean {
  try {
    require.resolve('zstd-napi/binding');
    return true;
  } catch {
    return false;
  }
}

const DECODERS: ['native' | 'js', (t: TestContext) => boolean][] = [
  [
    'native',
    (t) => {
      chooseZstdDecoder('auto');
      if (process.env.ROMSCOPE_ZSTD === 'js' || !nativeInstalled()) {
        t.skip('zstd-napi is not installed (or ROMSCOPE_ZSTD=js): only the JavaScript decoder is tested');
        return false;
      }
      assert.ok(nativeZstdDecoder(), 'zstd-napi is installed but does not load');
      return true;
    },
  ],
  ['js', () => (chooseZstdDecoder('js'), true)],
];

const SOURCE = Buffer.concat([pseudoRandom(300_000, 1), Buffer.alloc(200_000), compressible(500_000, 2)]);

async function decodeError(input: Buffer, maxOut: number): Promise<string> {
  try {
    await decodeWhole('zstd', new Uint8Array(input), maxOut);
  } catch (e) {
    assert.ok(e instanceof CodecError, `not a CodecError: ${(e as Error)?.stack}`);
    return e.message;
  }
  assert.fail('decoded without error');
}

/** A `.zst` member decoded in pieces of `piece` bytes: its output and the checks it reported. */
async function member(input: Buffer, piece = 4096): Promise<{ out: Buffer; checks: [boolean, string][]; error?: string }> {
  const checks: [boolean, string][] = [];
  const parts: Buffer[] = [];
  const hooks = { info: {}, check: (ok: boolean, message: string) => void checks.push([ok, message]) };
  try {
    for await (const c of zstdMemberStream(
      (async function* () {
        for (let i = 0; i < input.length; i += piece) yield input.subarray(i, i + piece);
      })(),
      hooks,
    ))
      parts.push(Buffer.from(c));
  } catch (e) {
    return { out: Buffer.concat(parts), checks, error: (e as Error).message };
  }
  return { out: Buffer.concat(parts), checks };
}

for (const [name, use] of DECODERS) {
  test(`${name}: zstd frames from the zstd tool decode bit for bit, whole and as members (levels, --no-check, --long, concatenated)`, async (t) => {
    if (!hasTool('zstd')) return t.skip('zstd is not installed');
    if (!use(t)) return;
    try {
      for (const args of [['-1'], ['-19'], ['--no-check'], ['--long=27'], ['--ultra', '-22'], ['-T2', '--rsyncable']]) {
        const z = zstd(SOURCE, ...args);
        const r = await decodeWhole('zstd', new Uint8Array(z), SOURCE.length);
        assert.equal(r.length, SOURCE.length, args.join(' '));
        assert.ok(Buffer.from(r.buffer.buffer, r.buffer.byteOffset, r.length).equals(SOURCE), `${args.join(' ')}: wrong output`);
        const m = await member(z, args[0] === '-1' ? 1 : 65536);
        assert.equal(m.error, undefined, args.join(' '));
        assert.ok(m.out.equals(SOURCE), `${args.join(' ')}: wrong member output`);
        assert.deepEqual(
          m.checks.map((c) => c[0]),
          args.includes('--no-check') ? [] : [true],
        );
      }
      const two = Buffer.concat([zstd(SOURCE, '-3'), zstd(SOURCE.subarray(0, 777), '--no-check')]);
      const r = await decodeWhole('zstd', new Uint8Array(two), SOURCE.length + 777);
      assert.equal(r.length, SOURCE.length + 777);
      assert.ok((await member(two)).out.equals(Buffer.concat([SOURCE, SOURCE.subarray(0, 777)])));
    } finally {
      chooseZstdDecoder('auto');
    }
  });

  test(`${name}: bad zstd data is a CodecError or a finding naming what is wrong`, async (t) => {
    if (!hasTool('zstd')) return t.skip('zstd is not installed');
    if (!use(t)) return;
    try {
      const good = zstd(SOURCE, '-3');
      assert.match(await decodeError(good.subarray(0, good.length - 7), SOURCE.length), /ends early|truncated|corrupt/);
      assert.match(await decodeError(good.subarray(0, good.length >> 1), SOURCE.length), /ends early|truncated|corrupt/);
      assert.match(await decodeError(Buffer.from('definitely not a zstd frame, only text'), SOURCE.length), /corrupt|ends early/);
      // 64 MiB of zeros in a few KiB: stops at the bytes the extents hold.
      const bomb = zstd(Buffer.alloc(64 << 20), '-19');
      assert.ok(bomb.length < 64 << 10);
      assert.match(await decodeError(bomb, 1 << 20), /decodes to more than the 1048576 bytes its extents hold/);
      assert.match(await decodeError(good, SOURCE.length - 1), /decodes to more than/);
      // As a member: the checksum and the declared content size are romscope's findings, not decoder errors; decoding goes on.
      const flipped = Buffer.from(good);
      flipped[good.length - 2] ^= 0x01;
      const bad = await member(flipped);
      assert.equal(bad.error, undefined);
      assert.ok(bad.out.equals(SOURCE));
      assert.deepEqual(bad.checks.length, 1);
      assert.match(bad.checks[0][1], /content checksum [0-9a-f]{8}, computed [0-9a-f]{8}/);
      for (const [size, lie] of [
        [1000, 1001],
        [1000, 999],
        [100_000, 100_001],
      ]) {
        const small = zstd(SOURCE.subarray(0, size), '--no-check', `--stream-size=${size}`);
        // The content size field's last byte (little-endian field before the first block header): 2 bytes from 256 to 65791, else 4.
        const fcs = size < 65792 ? 2 : 4;
        const at = 5 + ((small[4] >> 5) & 1 ? 0 : 1) + fcs - 1;
        const lied = Buffer.from(small);
        lied.writeUIntLE(lie - (fcs === 2 ? 256 : 0), at - fcs + 1, fcs);
        const m = await member(lied);
        const blockMax = lie < size && (small[4] >> 5) & 1;
        if (blockMax) assert.match(m.error ?? '', /block maximum|declares/, `${size} as ${lie}`);
        else {
          assert.equal(m.error, undefined, `${size} as ${lie}`);
          assert.ok(m.out.equals(SOURCE.subarray(0, size)));
          assert.match(m.checks.map((c) => c[1]).join('\n'), new RegExp(`declares ${lie} bytes of content, decoded ${size}`));
        }
      }
      const cut = await member(good.subarray(0, good.length - 100));
      assert.match(cut.error ?? '', /ends|cut|truncated/);
      const corrupt = Buffer.from(good);
      corrupt[good.length >> 1] ^= 0xff;
      const c = await member(corrupt);
      assert.ok(c.error !== undefined || c.checks.some((x) => !x[0]), 'a corrupt block is an error or a checksum finding');
    } finally {
      chooseZstdDecoder('auto');
    }
  });
}

test('native: whole blobs one after another on one kept context: a blob cut or corrupt mid-frame does not spoil the next', async (t) => {
  if (!hasTool('zstd')) return t.skip('zstd is not installed');
  if (!DECODERS[0][1](t)) return;
  const other = compressible(700_000, 9);
  const a = zstd(SOURCE, '-19');
  const b = zstd(other, '-3');
  const corrupt = Buffer.from(a);
  corrupt[corrupt.length >> 1] ^= 0xff;
  for (const bad of [a.subarray(0, a.length >> 1), corrupt]) {
    await decodeError(bad, SOURCE.length);
    const r = await decodeWhole('zstd', new Uint8Array(b), other.length);
    assert.ok(Buffer.from(r.buffer.subarray(0, r.length)).equals(other));
    const again = await decodeWhole('zstd', new Uint8Array(a), SOURCE.length);
    assert.ok(Buffer.from(again.buffer.subarray(0, again.length)).equals(SOURCE));
  }
});
