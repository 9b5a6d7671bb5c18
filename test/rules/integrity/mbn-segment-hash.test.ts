import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ruleTester } from '../harness';
import { buildMbn, mbnSegmentOffset } from '../../../fixtures/builders/mbn';
import { pseudoRandom } from '../../../fixtures/builders/data';
import { CORPUS } from '../../helpers';

const FIREHOSE = join(CORPUS, 'qcom-edl/qk1607/prog_emmc_firehose_8976_ddr.mbn');
const noCorpus = () => (existsSync(FIREHOSE) ? false : `shared corpus not present (${FIREHOSE})`);
const image = (version: 3 | 6, elfClass: 32 | 64 = 32) => buildMbn({ version, elfClass, segments: [{ data: pseudoRandom(4000, 1) }, { data: pseudoRandom(3000, 2), flags: 6 }] });

function flipped(b: Buffer, at: number): Buffer {
  const c = Buffer.from(b);
  c[at] ^= 0x01;
  return c;
}

ruleTester('integrity/mbn-segment-hash', {
  valid: [
    { name: 'an ELF32 image with a v3 hash segment (SHA-256)', file: 'tz.mbn', build: () => image(3) },
    { name: 'an ELF64 image with a v6 hash segment (SHA-384)', file: 'xbl.elf', build: () => image(6, 64) },
    { name: 'the real firehose programmer, untouched', file: 'prog_emmc_firehose_8976_ddr.mbn', skip: noCorpus, build: () => readFileSync(FIREHOSE) },
  ],
  invalid: [
    {
      name: 'a byte changed in the second loadable segment',
      file: 'tz.mbn',
      build: () => {
        const b = image(3);
        return flipped(b, mbnSegmentOffset(b, 1) + 10);
      },
      errors: [{ path: '', message: /^segment 3 \(LOAD, bytes \d+-\d+\): sha256 is [0-9a-f]{64}, the hash table says [0-9a-f]{64}$/ }],
    },
    {
      name: 'the ELF header changed (its placeholder segment covers it)',
      file: 'xbl.elf',
      build: () => flipped(image(6, 64), 24),
      errors: [{ path: '', message: /^segment 0 \(NULL, bytes 0-\d+\): sha384 is/ }],
    },
    {
      name: 'the real firehose programmer with one byte changed in a loadable segment',
      file: 'prog_emmc_firehose_8976_ddr.mbn',
      skip: noCorpus,
      build: () => flipped(readFileSync(FIREHOSE), 0x3000 + 4096),
      errors: [{ path: '', message: 'segment 4 (LOAD, bytes 12288-308856)' }],
    },
  ],
});
