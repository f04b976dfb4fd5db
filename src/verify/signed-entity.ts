import {createHash, createPublicKey, type KeyObject} from 'node:crypto'

import type {Bundle, TransparencyLogEntry} from '@sigstore/bundle'
import {dsse, EXTENSION_OID_SCT, type X509Certificate} from '@sigstore/core'
import {type SignedEntity, toSignedEntity} from '@sigstore/verify'

import {messageOf, PluginError} from '../errors.js'
import {type Verifier} from '../keys/index.js'

// @sigstore/verify's view of a bundle (SignedEntity), and the few adjustments verify-bundle.ts
// makes to it so @sigstore/verify checks what cosign checks. Each is a plain-data substitution on
// the entity; nothing in @sigstore/verify is patched.

export function signedEntity(bundle: Bundle, artifact: Buffer | undefined): SignedEntity {
  if (bundle.content.$case === 'messageSignature') {
    if (artifact === undefined) throw new TypeError('verifying a message-signature bundle needs the signed artifact')
    const digest = createHash('sha256').update(artifact).digest()
    if (!digest.equals(Buffer.from(bundle.content.messageSignature.messageDigest.digest))) {
      throw new PluginError('VERIFY_FAILED', "the bundle's message digest is not the digest of the signed content")
    }
  }

  try {
    return toSignedEntity(bundle, artifact)
  } catch (error) {
    throw new PluginError('VERIFY_FAILED', `the signature's verification material does not parse: ${messageOf(error)}`, {cause: error})
  }
}

export function certificateOf(entity: SignedEntity): X509Certificate {
  if (entity.key.$case !== 'certificate') throw new TypeError('not a certificate-based signature')
  return entity.key.certificate
}

export function certificateKey(entity: SignedEntity): KeyObject {
  return createPublicKey({key: certificateOf(entity).publicKey, format: 'der', type: 'spki'})
}

/**
 * The signature checked by our key Verifier, which picks the digest per key type as the rest of
 * the plugin does (@sigstore/verify leaves it to Node's default for the key).
 */
export function withSignatureCheck(entity: SignedEntity, bundle: Bundle, artifact: Buffer | undefined, verifier: Verifier): void {
  const content = entity.signature
  const data = signedBytes(bundle, artifact)
  entity.signature = {
    signature: content.signature,
    compareSignature: (signature) => content.compareSignature(signature),
    compareDigest: (digest) => content.compareDigest(digest),
    verifySignature: () => verifier.verify(data, content.signature),
  }
}

/** What the signature is over: the artifact, or the DSSE pre-authentication encoding. */
function signedBytes(bundle: Bundle, artifact: Buffer | undefined): Buffer {
  if (bundle.content.$case === 'dsseEnvelope') {
    const {payloadType, payload} = bundle.content.dsseEnvelope
    return dsse.preAuthEncoding(payloadType, Buffer.from(payload))
  }

  return artifact as Buffer
}

/**
 * The certificate, except that the copy @sigstore/verify makes to check SCTs has none: it fails
 * an SCT no trusted CT log signed even when no SCT is required, while cosign's
 * --insecure-ignore-sct skips the check. The certificate itself (chain, signature) is untouched.
 */
export function withoutSctCheck(entity: SignedEntity): void {
  const certificate = certificateOf(entity)
  const clone = () => {
    const copy = certificate.clone()
    const index = copy.extensions.findIndex((extension) => extension.subs[0]?.toOID() === EXTENSION_OID_SCT)
    if (index >= 0) copy.extensions.splice(index, 1)
    return copy
  }

  entity.key = {$case: 'certificate', certificate: Object.create(certificate, {clone: {value: clone}}) as X509Certificate}
}

/**
 * Drops the transparency log (cosign's --insecure-ignore-tlog). The certificate is then checked
 * at the TSA's times, or, with none, at the current time as cosign does: @sigstore/verify takes
 * check times only from timestamps, so a stand-in log entry carries the clock. It is a timestamp
 * only; it is not in tlogEntries and never verified as a log entry.
 */
export function ignoringTlog(entity: SignedEntity, keyed: boolean): void {
  entity.tlogEntries = []
  entity.timestamps = entity.timestamps.filter((t) => t.$case === 'timestamp-authority')
  if (!keyed && entity.timestamps.length === 0) entity.timestamps = [{$case: 'transparency-log', tlogEntry: currentTime()}]
}

/** Drops TSA timestamps: without a TSA in the trusted root they cannot be checked (cosign ignores them too). */
export function withoutTsaTimestamps(entity: SignedEntity): void {
  entity.timestamps = entity.timestamps.filter((t) => t.$case !== 'timestamp-authority')
}

function currentTime(): TransparencyLogEntry {
  return {
    logIndex: '0',
    logId: {keyId: Buffer.alloc(0)},
    kindVersion: {kind: 'none', version: '0'},
    integratedTime: String(Math.floor(Date.now() / 1000)),
    inclusionPromise: {signedEntryTimestamp: Buffer.alloc(0)},
    inclusionProof: undefined,
    canonicalizedBody: Buffer.alloc(0),
  }
}
