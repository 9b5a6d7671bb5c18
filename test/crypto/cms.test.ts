/**
 * CMS SignedData parsing on damaged blocks: every failure is a FormatError
 * in words, never a JavaScript error from a field of the wrong ASN.1 type.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { parseSignedData } from '../../src/crypto/cms';
import { FormatError } from '../../src/io/errors';
import { makeTestSigner, signedData } from '../../fixtures/builders/ota-sign';

/** The block `signedData` writes, with its encapsulated content replaced by `eContent`. */
function withEContent(block: Buffer, eContent: asn1js.AsnType): Buffer {
  const ci = new pkijs.ContentInfo({ schema: asn1js.fromBER(new Uint8Array(block).buffer).result });
  const sd = new pkijs.SignedData({ schema: ci.content });
  sd.encapContentInfo = new pkijs.EncapsulatedContentInfo({ eContentType: '1.2.840.113549.1.7.1', eContent: eContent as asn1js.OctetString });
  return Buffer.from(new pkijs.ContentInfo({ contentType: '1.2.840.113549.1.7.2', content: sd.toSchema(true) }).toSchema().toBER(false));
}

test('cms: a detached signature parses, with no content', async () => {
  const s = await makeTestSigner({ bits: 1024 });
  const parsed = parseSignedData(signedData(Buffer.from('signed bytes'), s));
  assert.equal(parsed.content, null);
  assert.equal(parsed.signers.length, 1);
  assert.equal(parsed.certificates.length, 1);
});

test('cms: encapsulated content that is an OCTET STRING is returned', async () => {
  const s = await makeTestSigner({ bits: 1024 });
  const block = withEContent(signedData(Buffer.from('x'), s), new asn1js.OctetString({ valueHex: new Uint8Array(Buffer.from('inner')).buffer }));
  assert.equal(parseSignedData(block).content?.toString(), 'inner');
});

test('cms: encapsulated content of another ASN.1 type is a FormatError in words (fuzz seed 20261204 case 32979)', async () => {
  const s = await makeTestSigner({ bits: 1024 });
  const block = withEContent(signedData(Buffer.from('x'), s), new asn1js.Sequence({ value: [new asn1js.Integer({ value: 1 })] }));
  assert.throws(
    () => parseSignedData(block),
    (e: unknown) => e instanceof FormatError && /not an OCTET STRING/.test(e.message) && !/is not a function/.test(e.message),
  );
});
