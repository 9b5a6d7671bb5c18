/**
 * The two xz decoders behind REPLACE_XZ operations — liblzma through
 * node-liblzma (the fast path) and xz-embedded compiled to WebAssembly (the
 * fallback) — decode streams made by the xz tool identically, and refuse the
 * same bad input the same way: truncated, corrupt, not xz, a SHA-256 check
 * (which update_engine's decoder does not support), and data that expands
 * past the bytes its extents hold.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chooseXzDecoder, CodecError, decodeWhole, nativeXzDecoder, xzProbeStream } from '../../src/formats/ota-payload/codecs';
import { pseudoRandom, compressible } from '../../fixtures/builders/data';
import { hasTool, runTool } from '../helpers';

function xz(data: Buffer, ...args: string[]): Buffer {
  const r = runTool('xz', ['-c', ...args], { input: data });
  assert.equal(r.status, 0, r.stderr?.toString());
  return r.stdout;
}

/** node-liblzma is an optional dependency: when installed it must load; when not, the native cases skip visibly. */
function nativeInstalled(): boolean {
  try {
    require.resolve('node-liblzma');
    return true;
  } catch {
    return false;
  }
}

const DECODERS: ['native' | 'wasm', (t: TestContext) => boolean][] = [
  [
    'native',
    (t) => {
      chooseXzDecoder('auto');
      if (process.env.ROMSCOPE_XZ === 'wasm' || !nativeInstalled()) {
        t.skip('node-liblzma is not installed (or ROMSCOPE_XZ=wasm): only the WebAssembly decoder is tested');
        return false;
      }
      assert.ok(nativeXzDecoder(), 'node-liblzma is installed but does not load');
      return true;
    },
  ],
  [
    'wasm',
    () => {
      chooseXzDecoder('wasm');
      return true;
    },
  ],
];

const SOURCE = Buffer.concat([pseudoRandom(300_000, 1), Buffer.alloc(200_000), compressible(500_000, 2)]);

async function decodeError(input: Buffer, maxOut: number): Promise<string> {
  try {
    await decodeWhole('xz', new Uint8Array(input), maxOut);
  } catch (e) {
    assert.ok(e instanceof CodecError, `not a CodecError: ${(e as Error)?.stack}`);
    return e.message;
  }
  assert.fail('decoded without error');
}

for (const [name, use] of DECODERS) {
  test(`${name}: xz streams from the xz tool decode bit for bit (checks none, CRC32, CRC64; -0 to -9)`, async (t) => {
    if (!hasTool('xz')) return t.skip('xz is not installed');
    if (!use(t)) return;
    try {
      for (const args of [
        ['-9', '--check=none'],
        ['-6', '--check=crc32'],
        ['-0', '--check=crc64'],
        ['-9e', '--check=crc64'],
      ]) {
        const r = await decodeWhole('xz', new Uint8Array(xz(SOURCE, ...args)), SOURCE.length);
        assert.equal(r.length, SOURCE.length, args.join(' '));
        assert.ok(Buffer.from(r.buffer.buffer, r.buffer.byteOffset, r.length).equals(SOURCE), `${args.join(' ')}: wrong output`);
      }
      // Several blocks (their dictionaries are checked block by block).
      const blocks = xz(SOURCE, '--block-size=100000', '--check=crc32');
      const rb = await decodeWhole('xz', new Uint8Array(blocks), SOURCE.length);
      assert.ok(Buffer.from(rb.buffer.buffer, rb.buffer.byteOffset, rb.length).equals(SOURCE), 'multi-block stream');
      // Shorter output than the extents hold is fine (the rest reads as zeros).
      const r = await decodeWhole('xz', new Uint8Array(xz(SOURCE, '--check=crc32')), SOURCE.length + 8192);
      assert.equal(r.length, SOURCE.length);
    } finally {
      chooseXzDecoder('auto');
    }
  });

  test(`${name}: bad xz data is a CodecError naming what is wrong`, async (t) => {
    if (!hasTool('xz')) return t.skip('xz is not installed');
    if (!use(t)) return;
    try {
      const good = xz(SOURCE, '-6', '--check=crc32');
      assert.match(await decodeError(good.subarray(0, good.length - 12), SOURCE.length), /ends early|truncated|corrupt/);
      assert.match(await decodeError(good.subarray(0, good.length >> 1), SOURCE.length), /ends early|truncated|corrupt/);
      const flipped = Buffer.from(good);
      flipped[good.length >> 1] ^= 0x40;
      assert.match(await decodeError(flipped, SOURCE.length), /corrupt|ends early/);
      assert.match(await decodeError(Buffer.from('definitely not an xz stream, only text'), SOURCE.length), /not an xz stream|not xz/);
      assert.match(await decodeError(Buffer.alloc(0), SOURCE.length), /ends early|not xz|empty/);
      assert.match(await decodeError(Buffer.concat([good, Buffer.from('trailing garbage')]), SOURCE.length * 2), /ends early|corrupt|not an xz stream/);
      assert.match(await decodeError(xz(SOURCE, '--check=sha256'), SOURCE.length), /SHA-256 integrity check, which update_engine's decoder/);
      // update_engine's decoder allocates at most a 64 MiB dictionary (xz -9 uses exactly that, above).
      assert.match(await decodeError(xz(SOURCE, '--lzma2=dict=128MiB'), SOURCE.length), /needs a 128 MiB dictionary, more than the 64 MiB update_engine's decoder allows/);
      // 64 MiB of zeros in a few KiB: stops at the bytes the extents hold.
      const bomb = xz(Buffer.alloc(64 << 20), '-9', '--check=none');
      assert.ok(bomb.length < 64 << 10);
      assert.match(await decodeError(bomb, 1 << 20), /decodes to more than the 1048576 bytes its extents hold/);
      assert.match(await decodeError(good, SOURCE.length - 1), /decodes to more than/);
    } finally {
      chooseXzDecoder('auto');
    }
  });
}

test('the probe stream that proves where a stream ended is xz the xz tool reads, for any dictionary size', (t) => {
  if (!hasTool('xz')) return t.skip('xz is not installed');
  for (const prop of [0, 1, 0x16, 0x1a, 0x1c, 40]) {
    assert.equal(runTool('xz', ['-dc'], { input: xzProbeStream(prop) }).stdout.toString(), 'romscope', `dictionary property ${prop}`);
  }
});

for (const [name, use] of DECODERS) {
  test(`${name}: stream after stream in one thread (the native decoder is kept between them): a bad stream does not spoil the next`, async (t) => {
    if (!hasTool('xz')) return t.skip('xz is not installed');
    if (!use(t)) return;
    try {
      const nine = xz(SOURCE, '-9', '--check=none');
      const six = xz(SOURCE, '-6', '--check=crc32');
      const other = pseudoRandom(70_000, 7);
      const small = xz(other, '-9', '--check=crc64');
      // (A flipped byte shows only in a stream with an integrity check: -9 --check=none here would decode to wrong bytes, which the operation's hash catches.)
      const flipped = Buffer.from(six);
      flipped[six.length >> 1] ^= 0x40;
      const good = async (input: Buffer, want: Buffer, what: string) => {
        const r = await decodeWhole('xz', new Uint8Array(input), want.length);
        assert.equal(r.length, want.length, what);
        assert.ok(Buffer.from(r.buffer.buffer, r.buffer.byteOffset, r.length).equals(want), `${what}: wrong output`);
      };
      const bad = async (input: Buffer, maxOut: number, pattern: RegExp, what: string) => assert.match(await decodeError(input, maxOut), pattern, what);
      await good(nine, SOURCE, '-9');
      await good(small, other, 'another stream, same dictionary');
      await bad(nine.subarray(0, nine.length - 12), SOURCE.length, /ends early|truncated|corrupt/, 'footer cut off');
      await good(nine, SOURCE, '-9 after a cut stream');
      await bad(nine.subarray(0, nine.length >> 1), SOURCE.length, /ends early|truncated|corrupt/, 'cut in the middle');
      await good(small, other, 'after a stream cut in the middle');
      await bad(nine.subarray(0, nine.length - 1), SOURCE.length, /ends early|truncated|corrupt/, 'last byte cut off');
      await good(six, SOURCE, '-6 (another dictionary size)');
      await bad(flipped, SOURCE.length, /corrupt|ends early/, 'a flipped byte');
      await good(nine, SOURCE, '-9 after a corrupt stream');
      await bad(Buffer.concat([nine, Buffer.from('trailing garbage')]), SOURCE.length * 2, /ends early|corrupt|not an xz stream/, 'trailing garbage');
      await good(nine, SOURCE, '-9 after trailing garbage');
      await bad(nine, SOURCE.length - 1, /decodes to more than/, 'one byte more than the extents hold');
      await good(nine, SOURCE, '-9 after a stream that expands too far');
      await good(Buffer.concat([nine, Buffer.alloc(8)]), SOURCE, 'stream padding after the stream');
      await good(nine, SOURCE, '-9 after stream padding');
      await bad(Buffer.concat([nine, Buffer.alloc(3)]), SOURCE.length, /corrupt|ends early/, 'padding not a multiple of 4');
      await good(nine, SOURCE, '-9 at the end');
    } finally {
      chooseXzDecoder('auto');
    }
  });
}
