import {createHash} from 'node:crypto'

import type {TransparencyLogEntry} from '@sigstore/bundle'
import {HashAlgorithm} from '@sigstore/protobuf-specs'

import {type FulcioCertificate} from './keyless-signer.js'
import {rekorBundle, serializeRekorBundle} from './rekor-bundle.js'
import {type RekorOptions, uploadMessageSignature} from './tlog-upload.js'
import {type ServiceOptions, tsaWitness} from './witnesses.js'

/**
 * The layer annotations cosign writes next to `dev.cosignproject.cosign/signature` on a classic
 * `.sig` layer (docs/formats.md §1): the Fulcio certificate and chain (keyless), the Rekor bundle (when
 * logged), and an RFC 3161 timestamp over the signature (when a TSA is used).
 */
import {BUNDLE_ANNOTATION, CERTIFICATE_ANNOTATION, CHAIN_ANNOTATION, RFC3161_TIMESTAMP_ANNOTATION} from '../formats/annotations.js'


export interface ClassicWitnessed {
  certificate?: FulcioCertificate
  tlogEntry?: TransparencyLogEntry
  /** The TSA's answer (DER), as cosign stores it. */
  rfc3161Timestamp?: Buffer
}

export function classicAnnotations(witnessed: ClassicWitnessed): Record<string, string> {
  const annotations: Record<string, string> = {}
  if (witnessed.certificate) {
    annotations[CERTIFICATE_ANNOTATION] = witnessed.certificate.certificatePem
    annotations[CHAIN_ANNOTATION] = witnessed.certificate.chainPem.join('')
  }

  if (witnessed.tlogEntry) annotations[BUNDLE_ANNOTATION] = serializeRekorBundle(rekorBundle(witnessed.tlogEntry))
  if (witnessed.rfc3161Timestamp) {
    // cosign's bundle.RFC3161Timestamp, json.Marshal'd: the []byte field becomes base64.
    annotations[RFC3161_TIMESTAMP_ANNOTATION] = JSON.stringify({SignedRFC3161Timestamp: witnessed.rfc3161Timestamp.toString('base64')})
  }

  return annotations
}

export interface ClassicSignatureToWitness {
  payload: Buffer
  signature: Buffer
  /** Keyless: the certificate of the key that signed. */
  certificate?: FulcioCertificate
  /** Key-based: the public key, PEM (what Rekor records as the signer). */
  publicKeyPem?: string
}

export interface ClassicWitnessOptions {
  /** Upload to Rekor; leave out for no transparency log (key-based `tlog-upload = false`). */
  rekor?: RekorOptions
  /** Timestamp the signature with this TSA; leave out for none. */
  tsa?: ServiceOptions & {url: string}
}

/** Logs and timestamps a classic signature as configured and returns the layer's extra annotations. */
export async function witnessClassicSignature(
  signed: ClassicSignatureToWitness,
  options: ClassicWitnessOptions,
): Promise<Record<string, string>> {
  const verificationPem = signed.certificate?.certificatePem ?? signed.publicKeyPem
  if (options.rekor && verificationPem === undefined) {
    throw new TypeError('witnessClassicSignature needs a certificate or a public key to log the signature')
  }

  const [tlogEntry, rfc3161Timestamp] = await Promise.all([
    options.rekor && verificationPem !== undefined
      ? uploadMessageSignature({payload: signed.payload, signature: signed.signature, verificationPem}, options.rekor)
      : undefined,
    options.tsa ? timestampSignature(signed, options.tsa) : undefined,
  ])
  return classicAnnotations({certificate: signed.certificate, tlogEntry, rfc3161Timestamp})
}

async function timestampSignature(signed: ClassicSignatureToWitness, tsa: ServiceOptions & {url: string}): Promise<Buffer | undefined> {
  // Like cosign, the timestamp covers the raw signature bytes.
  const messageDigest = {algorithm: HashAlgorithm.SHA2_256, digest: createHash('sha256').update(signed.payload).digest()}
  const material = await tsaWitness(tsa.url, tsa).testify({$case: 'messageSignature', messageSignature: {messageDigest, signature: signed.signature}}, '')
  const timestamp = material.rfc3161Timestamps?.[0]?.signedTimestamp
  return timestamp ? Buffer.from(timestamp) : undefined
}
