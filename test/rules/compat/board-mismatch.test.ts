import { ruleTester } from '../harness';
import { missingTools } from '../../codec-tools';
import { DEMO_BUILD, ext4Partition, partitionProps } from '../../../fixtures/builders/partitions';
import { androidInfo, zipOf } from '../../../fixtures/builders/rom';

const vendorProps = partitionProps('vendor', DEMO_BUILD); // ro.product.board=demo
const fastboot = (lines: string[]) => () => zipOf({ 'android-info.txt': androidInfo(lines), 'vendor/build.prop': vendorProps });
const images = (lines: string[]) => () => zipOf({ 'android-info.txt': androidInfo(lines), 'vendor.img': ext4Partition('vendor', vendorProps) });

ruleTester('compat/board-mismatch', {
  valid: [
    { name: 'require board= is ro.product.board', file: 'images.zip', build: fastboot(['require board=demo']) },
    { name: 'require product= in another case', file: 'images.zip', build: fastboot(['require product=DEMO']) },
    { name: 'a wildcard that matches', file: 'images.zip', build: fastboot(['require board=de*']) },
    { name: 'one of several boards', file: 'images.zip', build: fastboot(['require board=other|demo']) },
    { name: 'require-for-product lines are not board requirements', file: 'images.zip', build: fastboot(['require board=demo', 'require-for-product:other version-bootloader=1']) },
    { name: 'no property file gives ro.product.board', file: 'images.zip', build: () => zipOf({ 'android-info.txt': androidInfo(['require board=other']) }) },
    { name: 'vendor.img (ext4) with the same board', file: 'images.zip', build: images(['require board=demo']), skip: missingTools('mke2fs') },
  ],
  invalid: [
    {
      name: 'android-info board is another board',
      file: 'images.zip',
      build: fastboot(['require board=otherboard']),
      errors: [{ path: 'android-info.txt', message: 'line 1: android-info.txt requires board "otherboard", but vendor/build.prop (ro.product.board "demo")' }],
    },
    {
      name: 'a wildcard that does not match',
      file: 'images.zip',
      build: fastboot(['require version-bootloader=1', 'require product=sun*']),
      errors: [{ path: 'android-info.txt', message: 'line 2: android-info.txt requires product "sun*"' }],
    },
    {
      name: 'vendor.img (ext4, mke2fs) built for another board',
      file: 'images.zip',
      build: images(['require board=walleye']),
      skip: missingTools('mke2fs'),
      errors: [{ path: 'android-info.txt', message: 'but vendor.img/build.prop (ro.product.board "demo")' }],
    },
  ],
});
