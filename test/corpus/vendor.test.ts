/**
 * Corpus: real vendor images of issue 15 (Rockchip rk3399, Amlogic hp4024,
 * Samsung G973F, Unisoc kilwa; MANIFEST.tsv names their repositories).
 * Each is identified with its fields, every checksum it carries verifies,
 * and no error is raised on these untouched stock files. The corpus is
 * never copied into the project; the tests skip visibly when it is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from '../../src/index';
import { isLayoutFact } from '../../src/formats/layout';
import { walkArtifacts, type Report } from '../../src/report/model';
import { corpusFile } from '../helpers';
import { describe, errors } from '../interop/util';

async function stock(t: Parameters<typeof corpusFile>[0], rel: string, format: string, sha256: string): Promise<Report | null> {
  const p = corpusFile(t, rel);
  if (!p) return null;
  const r = await inspect(p, { sidecars: false });
  assert.equal(r.root.format, format);
  assert.equal(r.root.hashes.sha256, sha256, 'sha256 recorded in MANIFEST.tsv');
  assert.deepEqual(errors(r), [], describe(r.findings));
  return r;
}
const okChecks = (r: Report) => [...walkArtifacts(r.root)].flatMap((a) => a.facts.filter((f) => f.kind === 'image-checksum-ok').map((f) => f.message));

test('corpus rockchip/rk3399/MiniLoaderAll.bin: BOOT header, RK3399 (330C), four entries, CRC verified', async (t) => {
  const r = await stock(t, 'rockchip/rk3399/MiniLoaderAll.bin', 'rockchip-loader', 'ef3bc1df88945568a9fda824db849e4f8aeda582e92906158f27279dc905feda');
  if (!r) return;
  assert.equal(r.root.info.chip, '330C');
  assert.equal(r.root.info.releaseTime, '2019-09-20 05:00:44');
  assert.equal(r.root.info.crc, '0x729d969f');
  assert.deepEqual(
    r.root.children.map((c) => c.name),
    ['471/rk3399_ddr_800MHz_v', '472/rk3399_usbplug_v1.1', 'loader/FlashData', 'loader/FlashBoot'],
  );
  assert.deepEqual(okChecks(r).length, 1);
  assert.equal(r.summary.integrity.status, 'verified');
});

test('corpus rockchip/rk3399/boot.img: KRNL over a gzip ramdisk, CRC and gzip verified', async (t) => {
  const r = await stock(t, 'rockchip/rk3399/boot.img', 'rockchip-krnl', 'a5aabfcfb7c585adff332a6d692c3785ae2a27d0533f6aac213ca13916343358');
  if (!r) return;
  assert.equal(r.root.info.payloadSize, 1382924);
  assert.equal(r.root.info.crc, '0x577c2dc1');
  assert.equal(r.root.children[0].format, 'gzip');
  assert.equal(r.root.children[0].children[0].format, 'cpio');
  assert.equal(okChecks(r).length, 1);
  assert.deepEqual(r.findings, [], describe(r.findings));
});

test('corpus rockchip/rk3399/resource.img: RSCE with five device trees and two logos', async (t) => {
  const r = await stock(t, 'rockchip/rk3399/resource.img', 'rockchip-resource', '5495e1587ff011e4e67239dc71780d68b51af53611311bc5b73751b5b704b17f');
  if (!r) return;
  assert.equal(r.root.info.entryCount, 7);
  const dtbs = r.root.children.filter((c) => c.format === 'fdt');
  assert.deepEqual(
    dtbs.map((c) => c.name),
    ['rk3399-nanopi4-rev00.dtb', 'rk3399-nanopi4-rev01.dtb', 'rk3399-nanopi4-rev04.dtb', 'rk3399-nanopi4-rev06.dtb', 'rk3399-nanopi4-rev21.dtb'],
  );
  for (const d of dtbs) assert.ok((d.info.compatible as string[]).includes('rockchip,rk3399'), d.name);
  assert.deepEqual(
    r.root.children.filter((c) => c.format !== 'fdt').map((c) => c.name),
    ['logo.bmp', 'logo_kernel.bmp'],
  );
  // The trees name boards, not a device: no compat finding, and the summary lists them as boards.
  assert.ok(r.summary.compatibility.declared.board?.includes('friendlyelec,nanopc-t4'));
  assert.deepEqual(r.findings, [], describe(r.findings));
});

test('corpus rockchip/rk3399/parameter.txt: mtdparts read as a 16-partition layout ending in a growing userdata', async (t) => {
  const r = await stock(t, 'rockchip/rk3399/parameter.txt', 'rockchip-parameter', '8b301774a7bd78949ce648e9aab79f1036475fcd2c818b913b4a6ffa27f953ef');
  if (!r) return;
  const layout = r.root.facts.find(isLayoutFact)!;
  assert.equal(layout.entries.length, 16);
  assert.deepEqual(layout.entries[0], { partition: 'uboot', file: null, sizeBytes: 0x2000 * 512, startBytes: 0x2000 * 512, device: 'flash', flashed: true });
  assert.deepEqual(layout.entries.at(-1), { partition: 'userdata', file: null, sizeBytes: null, startBytes: 0x60e400 * 512, device: 'flash', flashed: true });
  assert.equal(r.root.info.MACHINE_MODEL, 'RK3399');
  assert.deepEqual(r.findings, [], describe(r.findings));
});

test('corpus amlogic/hp4024_logo.img: AML_RES v2 with nine pictures, CRC-32 verified', async (t) => {
  const r = await stock(t, 'amlogic/hp4024_logo.img', 'amlogic-res', '05a588d61c15dc1c0292e9be494ccbbc5e3914b342227c40eff6dece169d072e');
  if (!r) return;
  assert.equal(r.root.info.crc, '0x673426ed');
  assert.deepEqual(
    r.root.children.map((c) => c.name),
    ['upgrade_error', 'upgrade_bar', 'upgrade_logo', 'upgrade_upgrading', 'bootup', 'upgrade_success', 'bootup_X3', 'upgrade_unfocus', 'upgrade_fail'],
  );
  assert.equal(r.root.children.find((c) => c.name === 'bootup')!.format, 'gzip');
  assert.equal(okChecks(r).length, 1);
  assert.deepEqual(r.findings, [], describe(r.findings));
});

test('corpus amlogic/hp4024_dt.img: @AML secure header over an encrypted device tree', async (t) => {
  const r = await stock(t, 'amlogic/hp4024_dt.img', 'amlogic-secure', 'f38ffce2efa697e5fcca586f89b635cfc74e9ed3313a1c399e5267243f08a9bb');
  if (!r) return;
  assert.equal(r.root.info.payloadSize, 81920);
  assert.equal(r.root.info.headerSize, 512);
  assert.equal(r.root.info.payloadEncrypted, true);
  assert.equal(r.root.info.sha256, 'bfce371866ec844d95aace368dfac3eefd2639a67e16a4f358fb45381f9e221e');
});

test('corpus samsung-misc: uh.bin (GREENTEA over an ELF), keystorage.bin (SLSI slots), up_param.bin (a tar of pictures)', async (t) => {
  const uh = await stock(t, 'samsung-misc/corsicanu_uh.bin', 'samsung-uh', 'b99bdc1dfed0471a0dd3d9155c64509f90909f9523e709895d66676a7a3aec66');
  if (uh) {
    assert.equal(uh.root.info.elfSize, 0x31380);
    assert.equal(uh.root.info.elf, true);
    assert.equal(uh.root.info.signatureBytes, 784);
  }
  const ks = await stock(t, 'samsung-misc/corsicanu_keystorage.bin', 'samsung-keystorage', 'b05e26dcc4df0cb440d951fd37af27a0116de65536524841928d304da13f8b89');
  if (ks) {
    assert.deepEqual(
      (ks.root.info.keySlots as { name: string }[]).map((s) => s.name),
      ['cp_key', 'vbmeta', 'fimc'],
    );
    assert.equal(ks.root.info.usedSlots, 3);
  }
  const up = await stock(t, 'samsung-misc/corsicanu_up_param.bin', 'tar', '1bae735077827b5e3d6dea0221600f0a4e06be20820672a206d2175e4395a5ea');
  if (up) assert.ok(up.root.children.length > 10 && up.root.children.every((c) => /\.(jpg|bmp|png|txt|jpeg)$/i.test(c.name) || c.name.length > 0));
});

test('corpus unisoc/kilwa_fdl1-sign.bin: DHTB v1, a 57776-byte payload, no payload hash (secure boot), 692 signature bytes', async (t) => {
  const r = await stock(t, 'unisoc/kilwa_fdl1-sign.bin', 'unisoc-dhtb', '65935208480f218a306b94a6470b0e919b43c20e52870a3da82890b11f58686c');
  if (!r) return;
  assert.equal(r.root.info.version, 1);
  assert.equal(r.root.info.payloadSize, 57776);
  assert.equal(r.root.info.payloadSha256, null);
  assert.equal(r.root.info.signatureBytes, 692);
  assert.deepEqual(r.findings, [], describe(r.findings));
});
