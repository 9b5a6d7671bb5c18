/**
 * Documents saved under another name are recognised by their content:
 * `metadata.pb` (as `<rom>_metadata.pb`) and `android-info.txt` (as
 * `<device>_android-info.txt`), from the shared corpus and built here; and the
 * device and build lists of both OTA metadata conditions are split alike,
 * in the text and the protobuf form.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { inspect } from '../../src/pipeline/inspect';
import { decodeOtaMetadataPb } from '../../src/formats/ota-metadata/protobuf';
import { parseOtaMetadataText } from '../../src/formats/ota-metadata';
import { corpusFile, tempDir } from '../helpers';

test('corpus: metadata.pb and android-info.txt saved under other names are recognised by content', async (t) => {
  for (const [rel, format] of [
    ['ota-metadata/pe_daisy_metadata.pb', 'ota-metadata'],
    ['ota-metadata/miatoll_twrp_metadata.pb', 'ota-metadata'],
    ['fastboot-info/blueline_pq1a_android-info.txt', 'android-info'],
    ['fastboot-info/aospalliance_crosshatch_android-info.txt', 'android-info'],
    ['fastboot-info/tb350fu_board-info.txt', 'android-info'],
  ]) {
    const p = corpusFile(t, rel);
    if (!p) return;
    const r = await inspect(p);
    assert.equal(r.root.format, format, rel);
    assert.deepEqual(
      r.findings.filter((f) => f.severity === 'error'),
      [],
      rel,
    );
  }
  const p = corpusFile(t, 'fastboot-info/blueline_pq1a_android-info.txt');
  if (!p) return;
  const r = await inspect(p);
  assert.deepEqual(r.summary.compatibility.declared.device, ['crosshatch', 'blueline']);
});

function deviceState(device: string[], build: string[]): Uint8Array {
  const w = new BinaryWriter();
  for (const d of device) w.uint32((1 << 3) | 2).string(d);
  for (const b of build) w.uint32((2 << 3) | 2).string(b);
  return w.finish();
}

function metadataPb(pre: Uint8Array, post: Uint8Array): Buffer {
  const w = new BinaryWriter();
  w.uint32((1 << 3) | 0).int32(1);
  w.uint32((5 << 3) | 2).bytes(pre);
  w.uint32((6 << 3) | 2).bytes(post);
  return Buffer.from(w.finish());
}

test('metadata: precondition and postcondition lists are split the same way, text and protobuf alike', () => {
  const m = decodeOtaMetadataPb(metadataPb(deviceState(['a|b', 'c'], ['fp1|fp2']), deviceState(['a|b:c'], ['fp3|fp4', 'fp5'])));
  assert.deepEqual(m.precondition, { device: ['a', 'b', 'c'], build: ['fp1', 'fp2'] });
  assert.deepEqual(m.postcondition, { device: ['a', 'b', 'c'], build: ['fp3', 'fp4', 'fp5'] });
  const txt = parseOtaMetadataText('ota-type=AB\npre-device=a|b\npre-build=fp1|fp2\npost-build=fp3|fp4\n').info;
  assert.deepEqual(txt.precondition, { device: ['a', 'b'], build: ['fp1', 'fp2'] });
  assert.deepEqual(txt.postcondition, { build: ['fp3', 'fp4'] });
});

test('metadata.pb by content under another name; a lookalike protobuf is not taken', async (t) => {
  const dir = tempDir(t);
  const good = metadataPb(deviceState(['x'], []), deviceState([], ['a/x/x:14/AP1/1:user/release-keys']));
  writeFileSync(join(dir, 'rom_metadata.pb'), good);
  const r = await inspect(join(dir, 'rom_metadata.pb'));
  assert.equal(r.root.format, 'ota-metadata');
  assert.deepEqual(r.summary.compatibility.declared.device, ['x']);
  // Type UNKNOWN, or no postcondition: not taken without the name.
  const w = new BinaryWriter();
  w.uint32((1 << 3) | 0).int32(1);
  w.uint32((5 << 3) | 2).bytes(deviceState(['x'], []));
  writeFileSync(join(dir, 'other.pb'), Buffer.from(w.finish()));
  assert.equal((await inspect(join(dir, 'other.pb'))).root.format, 'data');
  writeFileSync(join(dir, 'notes_info.txt'), 'board=x\nsomething else\n');
  assert.equal((await inspect(join(dir, 'notes_info.txt'))).root.format, 'data');
  writeFileSync(join(dir, 'dev_android-info.txt'), 'require board=x|y\nrequire version-bootloader=1.0\n');
  const ai = await inspect(join(dir, 'dev_android-info.txt'));
  assert.equal(ai.root.format, 'android-info');
  assert.deepEqual(ai.summary.compatibility.declared.device, ['x', 'y']);
});
