import { ruleTester } from '../harness';
import { buildZip } from '../../../fixtures/builders/zip';
import { buildBlockOta } from '../../../fixtures/builders/block-ota';
import { pseudoRandom } from '../../../fixtures/builders/data';

const raw = Buffer.concat([pseudoRandom(8 * 4096, 1), Buffer.alloc(4 * 4096), pseudoRandom(4 * 4096, 2)]);
const ota = buildBlockOta(raw);
const pkg = (list: string, extra: { name: string; data: Buffer }[] = []) => buildZip([{ name: 'system.transfer.list', data: Buffer.from(list) }, { name: 'system.new.dat', data: ota.newDat }, ...extra]);
const opList = (bytes: number) => ({ name: 'dynamic_partitions_op_list', data: Buffer.from(`# resize\nresize system ${bytes}\n`) });

ruleTester('layout/blockota-range', {
  valid: [
    { name: 'a full OTA that fits its partition', file: 'ota.zip', build: () => pkg(ota.transferList, [opList(16 * 4096)]) },
    { name: 'no partition size known', file: 'ota.zip', build: () => pkg(ota.transferList) },
    { name: 'erase overlapping later writes is normal', file: 'ota.zip', build: () => pkg(ota.transferList.replace('erase 2,0,16', 'erase 4,0,16,20,30')) },
  ],
  invalid: [
    {
      name: 'writes past the partition size from dynamic_partitions_op_list',
      file: 'ota.zip',
      build: () => pkg(ota.transferList, [opList(12 * 4096)]),
      errors: [{ path: 'system.transfer.list', message: 'past the end of system' }],
    },
    {
      name: 'two commands write the same blocks',
      file: 'ota.zip',
      build: () => pkg(ota.transferList + 'zero 2,3,5\n'),
      errors: [{ path: 'system.transfer.list', message: 'which line' }],
    },
  ],
});
