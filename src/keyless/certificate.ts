import {pem, X509Certificate} from '@sigstore/core'

import {type ErrorCode, messageOf, PluginError} from '../errors.js'

// What a Fulcio certificate says about its holder. cosign matches `--certificate-identity` against
// every subject alternative name and `--certificate-oidc-issuer` against the issuer extension:
// 1.3.6.1.4.1.57264.1.8 (a DER UTF8String), or the legacy 1.3.6.1.4.1.57264.1.1 (raw bytes).

export const OID_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1'
export const OID_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8'
/** Fulcio's OtherName SAN for username identities. */
const OID_OTHERNAME_USERNAME = '1.3.6.1.4.1.57264.1.7'

export interface CertificateIdentity {
  /** Every SAN the certificate holds (URI, email, username), the first being sigstore's choice. */
  subjectAlternativeNames: string[]
  /** The OIDC issuer Fulcio recorded; '' when the certificate has none. */
  issuer: string
}

export function certificateIdentity(certificate: X509Certificate): CertificateIdentity {
  const san = certificate.extSubjectAltName
  const names = [san?.uri, san?.rfc822Name, san?.otherName(OID_OTHERNAME_USERNAME)].filter(
    (name): name is string => typeof name === 'string' && name !== '',
  )
  const v2 = certificate.extension(OID_ISSUER_V2)
  const issuer = v2 ? v2.valueObj.subs[0]?.value.toString('utf8') : certificate.extension(OID_ISSUER_V1)?.value.toString('utf8')
  return {subjectAlternativeNames: names, issuer: issuer ?? ''}
}

/** Splits concatenated PEM certificates (Fulcio's chain, cosign's chain annotation). */
export function splitCertificates(text: string): string[] {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map((m) => `${m[0]}\n`)
}

export function parseCertificate(text: string, source: string, code: ErrorCode): X509Certificate {
  try {
    return X509Certificate.parse(pem.toDER(text))
  } catch (error) {
    throw new PluginError(code, `${source} is not a readable X.509 certificate: ${messageOf(error)}`, {cause: error})
  }
}
