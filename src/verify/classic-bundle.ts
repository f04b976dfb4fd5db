import {createHash} from 'node:crypto'

import {BUNDLE_V01_MEDIA_TYPE, type Bundle} from '@sigstore/bundle'
import {pem} from '@sigstore/core'
import {HashAlgorithm} from '@sigstore/protobuf-specs'

import {PluginError} from '../errors.js'
import {parseEnvelope} from '../formats/dsse.js'
import {parseRekorBundle, splitCertificates, tlogEntryFromRekorBundle} from '../keyless/index.js'
import {BUNDLE_ANNOTATION, CERTIFICATE_ANNOTATION, CHAIN_ANNOTATION, RFC3161_TIMESTAMP_ANNOTATION, SIGNATURE_ANNOTATION} from '../formats/annotations.js'

/**
 * A classic `.sig` layer (payload + annotations) as the Sigstore bundle it amounts to, so one
 * verifier serves both formats: a message signature over the payload, the certificate and chain,
 * the Rekor entry (v0.1 bundles carry the inclusion promise cosign's bundle annotation holds) and
 * any RFC 3161 timestamp.
 */
export function bundleFromClassic(payload: Buffer, annotations: Record<string, string>): Bundle {
  const signature = annotations[SIGNATURE_ANNOTATION]
  if (signature === undefined || signature === '') {
    throw new PluginError('VERIFY_FAILED', `the signature layer has no ${SIGNATURE_ANNOTATION} annotation`)
  }

  return {
    mediaType: BUNDLE_V01_MEDIA_TYPE,
    content: {
      $case: 'messageSignature',
      messageSignature: {
        messageDigest: {algorithm: HashAlgorithm.SHA2_256, digest: createHash('sha256').update(payload).digest()},
        signature: Buffer.from(signature, 'base64'),
      },
    },
    verificationMaterial: {
      content: verificationContent(annotations),
      tlogEntries: annotations[BUNDLE_ANNOTATION] ? [tlogEntryFromRekorBundle(parseRekorBundle(annotations[BUNDLE_ANNOTATION]))] : [],
      timestampVerificationData: {rfc3161Timestamps: timestamps(annotations[RFC3161_TIMESTAMP_ANNOTATION])},
    },
  }
}

/**
 * A classic `.att` layer (a DSSE envelope + annotations) as a DSSE bundle: the envelope's first
 * signature, the certificate and chain, the Rekor entry. An RFC 3161 annotation is left out:
 * cosign 2 timestamps an attestation's whole envelope, where a bundle's timestamp covers the
 * signature, so it cannot be checked as a bundle's.
 */
export function bundleFromClassicAttestation(envelopeBytes: Buffer, annotations: Record<string, string>): Bundle {
  const envelope = parseEnvelope(envelopeBytes)
  const first = envelope?.signatures[0]
  if (!envelope || typeof first?.sig !== 'string') throw new PluginError('VERIFY_FAILED', 'the attestation layer is not a signed DSSE envelope')
  return {
    mediaType: BUNDLE_V01_MEDIA_TYPE,
    content: {
      $case: 'dsseEnvelope',
      dsseEnvelope: {
        payloadType: envelope.payloadType,
        payload: Buffer.from(envelope.payload, 'base64'),
        signatures: [{keyid: typeof first.keyid === 'string' ? first.keyid : '', sig: Buffer.from(first.sig, 'base64')}],
      },
    },
    verificationMaterial: {
      content: verificationContent(annotations),
      tlogEntries: annotations[BUNDLE_ANNOTATION] ? [tlogEntryFromRekorBundle(parseRekorBundle(annotations[BUNDLE_ANNOTATION]))] : [],
      timestampVerificationData: {rfc3161Timestamps: []},
    },
  }
}

function verificationContent(annotations: Record<string, string>): Bundle['verificationMaterial']['content'] {
  const leaf = annotations[CERTIFICATE_ANNOTATION]
  if (leaf === undefined || leaf === '') return {$case: 'publicKey', publicKey: {hint: ''}}
  const certificates = [...splitCertificates(leaf).slice(0, 1), ...splitCertificates(annotations[CHAIN_ANNOTATION] ?? '')]
  if (certificates.length === 0) {
    throw new PluginError('VERIFY_FAILED', `the ${CERTIFICATE_ANNOTATION} annotation holds no PEM certificate`)
  }

  return {$case: 'x509CertificateChain', x509CertificateChain: {certificates: certificates.map((c) => ({rawBytes: pem.toDER(c)}))}}
}

function timestamps(annotation: string | undefined): {signedTimestamp: Buffer}[] {
  if (annotation === undefined || annotation === '') return []
  try {
    const {SignedRFC3161Timestamp} = JSON.parse(annotation) as {SignedRFC3161Timestamp?: unknown}
    if (typeof SignedRFC3161Timestamp !== 'string') throw new Error('no SignedRFC3161Timestamp')
    return [{signedTimestamp: Buffer.from(SignedRFC3161Timestamp, 'base64')}]
  } catch (error) {
    throw new PluginError('VERIFY_FAILED', `the ${RFC3161_TIMESTAMP_ANNOTATION} annotation is malformed`, {cause: error})
  }
}
