import {createPublicKey, verify as cryptoVerify} from 'node:crypto'

import {type BundleWithDsseEnvelope} from '@sigstore/bundle'
import {
  type SignedEntity,
  type Signer as VerifiedSigner,
  Verifier as SigstoreVerifier,
  type TrustMaterial,
  type VerificationPolicy,
  type VerifierOptions,
  toSignedEntity,
} from '@sigstore/verify'

import {DIGEST, type Verifier} from '../keys/index.js'
import {pae} from '../formats/dsse.js'

// @sigstore/verify set up the way cosign verifies: with `--key` the bundle must be signed by that
// key (its hint is not consulted) and needs no witness; with a trusted root (keyless) the
// certificate must chain to it, with @sigstore/verify's default witness counts.

export interface TrustOptions {
  verifier?: Verifier
  trustMaterial?: TrustMaterial
  /** cosign --insecure-ignore-tlog: transparency log entries are neither required nor checked. */
  ignoreTlog?: boolean
  thresholds?: VerifierOptions
}

export interface BundleVerifier {
  /** The signer (with its certificate identity when keyless); throws VerificationError. */
  verify(bundle: BundleWithDsseEnvelope, policy?: VerificationPolicy): VerifiedSigner
}

export function bundleVerifier(options: TrustOptions): BundleVerifier {
  if (!options.verifier && !options.trustMaterial) throw new TypeError('bundle verification needs a public key or trust material')
  const sigstore = new SigstoreVerifier(trustMaterial(options), thresholds(options))
  return {verify: (bundle, policy) => sigstore.verify(signedEntity(bundle, options), policy)}
}

function trustMaterial(options: TrustOptions): TrustMaterial {
  const base: TrustMaterial = options.trustMaterial ?? {
    certificateAuthorities: [],
    timestampAuthorities: [],
    tlogs: [],
    ctlogs: [],
    publicKey: () => {
      throw new Error('no public key to verify with')
    },
  }
  if (!options.verifier) return base
  const publicKey = createPublicKey(options.verifier.publicKeyPem)
  return {...base, publicKey: () => ({publicKey, validFor: () => true})}
}

function thresholds(options: TrustOptions): VerifierOptions {
  // A key needs no witness to be trusted (cosign --tlog-upload=false bundles have none).
  const base: VerifierOptions = options.verifier ? {tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0} : {}
  return {...base, ...options.thresholds, ...(options.ignoreTlog ? {tlogThreshold: 0} : {})}
}

function signedEntity(bundle: BundleWithDsseEnvelope, options: TrustOptions): SignedEntity {
  const entity = toSignedEntity(bundle)
  const checked: SignedEntity = options.ignoreTlog
    ? {...entity, tlogEntries: [], timestamps: entity.timestamps.filter((t) => t.$case !== 'transparency-log')}
    : entity
  const verifier = options.verifier
  if (!verifier) return checked
  // @sigstore/verify hashes with the key type's default digest (SHA-256); cosign signs with P-384
  // and P-521 keys over SHA-384 and SHA-512, so the check uses the digest our key's algorithm fixes.
  const envelope = bundle.content.dsseEnvelope
  const message = pae(envelope.payloadType, envelope.payload)
  const content = entity.signature
  return {
    ...checked,
    signature: {
      signature: content.signature,
      compareSignature: (other) => content.compareSignature(other),
      compareDigest: (digest) => content.compareDigest(digest),
      verifySignature: (key) => {
        try {
          return cryptoVerify(DIGEST[verifier.algorithm] ?? null, message, key, content.signature)
        } catch {
          return false
        }
      },
    },
  }
}
