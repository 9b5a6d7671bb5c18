/**
 * X.509 certificates in PEM (or DER, by name): the `otacert` of an OTA
 * package (FORMATS.md §7.2), `*.x509.pem` files. Each certificate's subject,
 * issuer, validity, fingerprints and key are listed; a public test
 * certificate (src/crypto/known-keys.ts) is named.
 */
import { X509Certificate } from 'node:crypto';
import type { DocumentHandler } from '../types';
import { summarizeCertificate, type CertSummary } from '../../crypto/keys';

const PEM = /-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----[\s\S]*?-----END (?:X509 |TRUSTED )?CERTIFICATE-----/g;
const DER_NAME = /(^|\/)(otacert|[^/]+\.(x509\.der|der|cer|crt))$/i;

export function parseCertificates(bytes: Buffer): { certificates: CertSummary[]; problems: string[] } {
  const certificates: CertSummary[] = [];
  const problems: string[] = [];
  const blocks = bytes.toString('latin1').match(PEM);
  const ders = blocks ?? [bytes];
  ders.forEach((b, i) => {
    try {
      certificates.push(summarizeCertificate(new X509Certificate(b)));
    } catch (e) {
      problems.push(`certificate ${i + 1} does not parse (${(e as Error).message})`);
    }
  });
  return { certificates, problems };
}

export const x509CertificateHandler: DocumentHandler = {
  id: 'x509-certificate',
  kind: 'document',
  description: "X.509 certificate, PEM or DER (an OTA package's otacert, *.x509.pem)",
  maxBytes: 1024 * 1024,
  detect: ({ peek, name }) => {
    if (/^\s*-----BEGIN (X509 |TRUSTED )?CERTIFICATE-----/.test(peek.toString('latin1', 0, 64))) return true;
    // DER: a SEQUENCE with a two-byte length, only with a certificate's name.
    return DER_NAME.test(name) && peek.length >= 4 && peek[0] === 0x30 && peek[1] === 0x82;
  },
  decode(bytes, ctx) {
    const { certificates, problems } = parseCertificates(bytes);
    for (const p of problems) ctx.fact({ kind: 'unreadable', message: p });
    return { certificates };
  },
};
