/**
 * A package full of hostile strings for the HTML report tests: member names
 * and build.prop values that would run script or load an image if a renderer
 * pasted them into HTML unescaped. Each payload sets `window.__pwned`, so a
 * test in a browser can also check that none ran.
 */
import { buildZip } from '../../fixtures/builders/zip';
import { androidInfo, buildProp } from '../../fixtures/builders/rom';

export const SCRIPT = '<script>window.__pwned=1</script>';
export const IMG = '"><img src=x onerror="window.__pwned=2">';
export const QUOTES = `a&b 'single' "double" &amp; <b>`;
export const SVG = "'><svg onload=window.__pwned=3>";

/** Strings the report must show as text, never as markup. */
export const HOSTILE = [SCRIPT, IMG, QUOTES, SVG];

/**
 * A zip whose members carry the payloads in their names and a build.prop
 * whose values carry them, a nested zip (an artifact two levels down) and a
 * few members that give findings of each severity.
 */
export function hostilePackage(): Buffer {
  const inner = buildZip([
    { name: 'deep-member.txt', data: Buffer.from('inside the inner zip\n') },
    { name: `${SVG}.txt`, data: Buffer.from('x\n') },
  ]);
  const props = buildProp({
    'ro.product.device': IMG,
    'ro.product.model': SCRIPT,
    'ro.product.brand': QUOTES,
    'ro.build.fingerprint': `brand/${SCRIPT}/dev:14/ID/1:user/release-keys`,
    'ro.build.version.security_patch': '2024-01-05',
  });
  return buildZip([
    { name: 'android-info.txt', data: androidInfo([`require board=${IMG}`, `require version-baseband=${SCRIPT}`]) },
    { name: 'system/build.prop', data: props, method: 'deflate' },
    { name: `${SCRIPT}.bin`, data: Buffer.from('hostile member name one\n') },
    { name: `${IMG}.txt`, data: Buffer.from('hostile member name two\n') },
    { name: `${QUOTES}.txt`, data: Buffer.from('hostile member name three\n') },
    { name: 'nested/inner.zip', data: inner },
    // Wrong CRC: an integrity error.
    { name: 'broken.txt', data: Buffer.from('the crc in the directory is wrong\n'), crc: 0x12345678 },
    // A checksum list naming a member that is not there: a warning.
    { name: 'SHA256SUMS', data: Buffer.from(`${'0'.repeat(64)}  ${SCRIPT}.img\n`) },
    // Climbs out of the archive: an error.
    { name: '../escape.txt', data: Buffer.from('x\n') },
  ]);
}
