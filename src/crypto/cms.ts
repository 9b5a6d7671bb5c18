/**
 * PKCS#7 / CMS SignedData as Android signs with it (signapk's whole-file
 * signature, a JAR's META-INF/*.RSA): parsed with pkijs + asn1js, checked
 * with node:crypto while the signed bytes stream past, so the content never
 * has to be in memory.
 */
import { X509Certificate, createHash, createVerify, verify as cryptoVerify, type Hash, type KeyObject, type Verify } from 'node:crypto';
import type * as Asn1js from 'asn1js';
import type * as Pkijs from 'pkijs';
import { FormatError } from '../io/errors';

/**
 * pkijs and asn1js, loaded the first time a signature is read: they are a
 * tenth of the CLI's start-up, and most inputs carry no PKCS#7 block.
 */
let asn1Libs: { asn1js: typeof Asn1js; pkijs: typeof Pkijs } | null = null;
function asn1(): { asn1js: typeof Asn1js; pkijs: typeof Pkijs } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  asn1Libs ??= { asn1js: require('asn1js') as typeof Asn1js, pkijs: require('pkijs') as typeof Pkijs };
  return asn1Libs;
}

const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const OID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';

/** Digest OIDs (and the hash-with-signature OIDs that imply one) to node:crypto names. */
const DIGESTS: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '1.2.840.113549.2.5': 'md5',
};
/** Certificate signature algorithms to the digest they use (recovery picks the whole-file digest this way). */
const SIG_DIGESTS: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'md5',
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

export interface CmsSigner {
  /** node:crypto digest name from the SignerInfo (`sha256`), or the OID when unknown. */
  digest: string;
  signature: Buffer;
  /** DER of the signed attributes re-tagged as a SET (what is signed), when there are any. */
  signedAttrs?: Buffer;
  /** The messageDigest attribute, when there are signed attributes. */
  messageDigest?: Buffer;
  /** The signer's certificate, found by issuer and serial number (or the only certificate). */
  certificate?: X509Certificate;
  /** Digest recovery would use for this certificate (from its signature algorithm). */
  certificateDigest?: string;
}

export interface ParsedCms {
  certificates: X509Certificate[];
  signers: CmsSigner[];
  /** Encapsulated content, when the SignedData is not detached. */
  content: Buffer | null;
}

/**
 * Whether a node of an asn1js tree, or a constructed node below it, uses an
 * indefinite length (DER never does). Only constructed nodes are descended:
 * asn1js also parses the contents of a primitive OCTET STRING or BIT STRING
 * as ASN.1 when they happen to parse, and a signature value or a
 * certificate's signature is random bytes that now and then do, with an
 * indefinite length among them, though the block is DER.
 */
function indefiniteLength(node: Asn1js.AsnType): boolean {
  const n = node as unknown as { idBlock?: { isConstructed?: boolean }; lenBlock?: { isIndefiniteForm?: boolean }; valueBlock?: { value?: unknown } };
  if (n.lenBlock?.isIndefiniteForm) return true;
  if (!n.idBlock?.isConstructed) return false;
  const kids = n.valueBlock?.value;
  return Array.isArray(kids) && kids.some((k) => indefiniteLength(k as Asn1js.AsnType));
}

const ab = (b: Buffer | Uint8Array): ArrayBuffer => {
  const copy = new Uint8Array(b.length);
  copy.set(b);
  return copy.buffer;
};

/**
 * Parses a DER ContentInfo holding SignedData. Throws FormatError saying what
 * is wrong (not DER, not SignedData, no signer) for any other bytes.
 */
export function parseSignedData(der: Buffer): ParsedCms {
  if (der.length === 0) throw new FormatError('the PKCS#7 block is empty');
  const { asn1js, pkijs } = asn1();
  const asn = asn1js.fromBER(ab(der));
  if (asn.offset === -1) throw new FormatError(`the PKCS#7 block is not DER (${asn.result.error || 'does not parse'})`);
  if (asn.offset !== der.length) throw new FormatError(`the PKCS#7 block is not DER: ${der.length - asn.offset} bytes follow its ASN.1 structure`);
  if (indefiniteLength(asn.result)) throw new FormatError('the PKCS#7 block is not DER: it uses indefinite lengths (BER)');
  let signed: Pkijs.SignedData;
  try {
    const ci = new pkijs.ContentInfo({ schema: asn.result });
    if (ci.contentType !== OID_SIGNED_DATA) throw new FormatError(`the PKCS#7 block holds ${ci.contentType}, not SignedData`);
    signed = new pkijs.SignedData({ schema: ci.content });
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(`the PKCS#7 block is not a CMS SignedData (${(e as Error).message})`);
  }
  try {
    return readSignedData(signed);
  } catch (e) {
    if (e instanceof FormatError) throw e;
    // pkijs checks the outline of the structure, not the ASN.1 type of every field: a damaged block can hold, say, a SEQUENCE where an OCTET STRING belongs.
    throw new FormatError('the PKCS#7 SignedData has a field of the wrong ASN.1 type');
  }
}

function readSignedData(signed: Pkijs.SignedData): ParsedCms {
  const { asn1js, pkijs } = asn1();
  const pkiCerts = (signed.certificates ?? []).filter((c): c is Pkijs.Certificate => c instanceof pkijs.Certificate);
  const certificates: X509Certificate[] = [];
  const byIndex = new Map<Pkijs.Certificate, X509Certificate>();
  for (const c of pkiCerts) {
    try {
      const x = new X509Certificate(Buffer.from(c.toSchema().toBER(false)));
      certificates.push(x);
      byIndex.set(c, x);
    } catch (e) {
      throw new FormatError(`a certificate in the PKCS#7 block does not parse (${(e as Error).message})`);
    }
  }
  if (signed.signerInfos.length === 0) throw new FormatError('the PKCS#7 block has no SignerInfo');
  const signers = signed.signerInfos.map((si): CmsSigner => {
    const digestOid = si.digestAlgorithm.algorithmId;
    const signer: CmsSigner = { digest: DIGESTS[digestOid] ?? digestOid, signature: Buffer.from(si.signature.valueBlock.valueHexView) };
    if (si.signedAttrs) {
      const enc = Buffer.from(si.signedAttrs.encodedValue);
      enc[0] = 0x31; // signed as an explicit SET OF, not the [0] IMPLICIT it is stored as
      signer.signedAttrs = enc;
      const md = si.signedAttrs.attributes.find((a) => a.type === OID_MESSAGE_DIGEST);
      const v: unknown = md?.values[0];
      if (v instanceof asn1js.OctetString) signer.messageDigest = Buffer.from(v.valueBlock.valueHexView);
    }
    let cert: Pkijs.Certificate | undefined;
    if (si.sid instanceof pkijs.IssuerAndSerialNumber) {
      const sid = si.sid;
      cert = pkiCerts.find((c) => c.issuer.isEqual(sid.issuer) && c.serialNumber.isEqual(sid.serialNumber));
    }
    if (!cert && pkiCerts.length === 1) cert = pkiCerts[0];
    if (cert) {
      signer.certificate = byIndex.get(cert);
      signer.certificateDigest = SIG_DIGESTS[cert.signatureAlgorithm.algorithmId];
    }
    return signer;
  });
  const econtent: unknown = signed.encapContentInfo?.eContent;
  if (econtent !== undefined && !(econtent instanceof asn1js.OctetString)) throw new FormatError('the PKCS#7 encapsulated content is not an OCTET STRING');
  return { certificates, signers, content: econtent instanceof asn1js.OctetString ? Buffer.from(econtent.getValue()) : null };
}

export function isKnownDigest(d: string): boolean {
  return ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'].includes(d);
}

/**
 * Verifies one signer over content that is fed with `update()` as it streams
 * past. Without signed attributes the signature covers the content itself;
 * with them it covers the attributes, whose messageDigest must be the
 * content's digest (RFC 5652 §5.4).
 */
export class CmsContentVerifier {
  private readonly hash: Hash | null;
  private readonly verifier: Verify | null;
  constructor(
    private readonly signer: CmsSigner,
    private readonly key: KeyObject,
  ) {
    if (!isKnownDigest(signer.digest)) throw new FormatError(`the signature uses digest ${signer.digest}, which romscope does not know`);
    this.hash = signer.signedAttrs ? createHash(signer.digest) : null;
    this.verifier = signer.signedAttrs ? null : createVerify(signer.digest);
  }
  update(b: Buffer): void {
    this.hash?.update(b);
    this.verifier?.update(b);
  }
  /** null when the signature verifies, otherwise why not. */
  finish(): string | null {
    try {
      if (this.verifier) return this.verifier.verify(this.key, this.signer.signature) ? null : `the ${this.signer.digest.toUpperCase()} signature does not verify with the signer's key`;
      const digest = this.hash!.digest();
      if (!this.signer.messageDigest) return 'the signed attributes have no messageDigest';
      if (!digest.equals(this.signer.messageDigest)) return `the ${this.signer.digest.toUpperCase()} digest of the signed data does not match the messageDigest attribute`;
      return cryptoVerify(this.signer.digest, this.signer.signedAttrs!, this.key, this.signer.signature) ? null : "the signature over the signed attributes does not verify with the signer's key";
    } catch (e) {
      return `the signature cannot be checked (${(e as Error).message})`;
    }
  }
}
