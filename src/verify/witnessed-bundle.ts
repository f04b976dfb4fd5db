import {createPublicKey} from 'node:crypto'

import type {Bundle} from '@sigstore/bundle'
import {toTrustMaterial, Verifier} from '@sigstore/verify'

import {PluginError} from '../errors.js'
import {verifierFromKey, verifierFromPem} from '../keys/index.js'
import {type CertificateIdentity, certificateIdentity, type TrustedRoot} from '../keyless/index.js'
import {compilePolicy, type IdentityPolicy} from './identity-policy.js'
import {
  certificateKey,
  certificateOf,
  ignoringTlog,
  signedEntity,
  withoutSctCheck,
  withoutTsaTimestamps,
  withSignatureCheck,
} from './signed-entity.js'
import {assertTlogSigner, type ExpectedSigner} from './tlog-signer.js'
import {verificationFailure} from './failure.js'

// Verifies a Sigstore bundle with @sigstore/verify against a trusted root: the certificate chains
// to a trusted CA at the signing time (keyless), its SCT checks out, the transparency-log entry's
// signed timestamp and body match, and the signature verifies — then the identity policy. Classic
// signatures come here too, turned into a bundle (classic-bundle.ts).
//
// Ours rather than @sigstore/verify's: the signature check goes through our key Verifier, the
// signer a Rekor entry records must be the signature's signer (as cosign requires), and cosign's
// --insecure-ignore-tlog / --insecure-ignore-sct behave as in cosign (signed-entity.ts).

export interface BundleVerifyOptions {
  trustedRoot: TrustedRoot
  /** Who must have signed; required for a signature with a certificate. */
  policy?: IdentityPolicy
  /** The key that must have signed; required for a signature without a certificate. */
  publicKeyPem?: string
  /** Like cosign's flag: skip the transparency log; a certificate is then checked at the current time. */
  insecureIgnoreTlog?: boolean
  /** Like cosign's flag: do not require an SCT from a CT log in the certificate. */
  insecureIgnoreSct?: boolean
}

export interface VerifiedBundle {
  /** The certificate's identity (keyless); undefined for a key-based signature. */
  identity?: CertificateIdentity
  /** When the transparency log integrated the entry; undefined when the tlog was ignored. */
  integratedTime?: Date
  /** Whether a transparency-log entry was verified. */
  tlogVerified: boolean
}

export function verifyBundle(bundle: Bundle, artifact: Buffer | undefined, options: BundleVerifyOptions): VerifiedBundle {
  const entity = signedEntity(bundle, artifact)
  const keyed = entity.key.$case === 'public-key'
  if (keyed && options.publicKeyPem === undefined) {
    throw new PluginError('USAGE', 'this signature was made with a key, not keyless: verify it with --key')
  }

  const policy = keyed ? undefined : compilePolicy(options.policy ?? {})
  const keyVerifier = keyed
    ? verifierFromPem(options.publicKeyPem as string, 'the verification key')
    : verifierFromKey(certificateKey(entity), 'the signing certificate')
  const tlogEntries = options.insecureIgnoreTlog ? [] : entity.tlogEntries
  if (!options.insecureIgnoreTlog && tlogEntries.length === 0) {
    throw new PluginError('VERIFY_FAILED', 'the signature has no transparency-log entry; --insecure-ignore-tlog skips this check')
  }

  withSignatureCheck(entity, bundle, artifact, keyVerifier)
  if (options.trustedRoot.timestampAuthorities.length === 0) withoutTsaTimestamps(entity)
  if (options.insecureIgnoreTlog) ignoringTlog(entity, keyed)
  if (!keyed && options.insecureIgnoreSct) withoutSctCheck(entity)
  const trustMaterial = toTrustMaterial(options.trustedRoot, keyed ? fixedKey(keyVerifier.publicKeyPem) : undefined)
  const verifier = new Verifier(trustMaterial, {
    tlogThreshold: options.insecureIgnoreTlog ? 0 : 1,
    ctlogThreshold: keyed || options.insecureIgnoreSct ? 0 : 1,
    timestampThreshold: keyed ? 0 : 1,
  })
  try {
    verifier.verify(entity)
  } catch (error) {
    throw new PluginError('VERIFY_FAILED', verificationFailure(error), {cause: error})
  }

  const expected: ExpectedSigner = keyed
    ? {publicKeyDer: createPublicKey(keyVerifier.publicKeyPem).export({type: 'spki', format: 'der'})}
    : {certificateDer: certificateOf(entity).root.toDER()}
  for (const entry of tlogEntries) assertTlogSigner(entry, expected)
  let identity: CertificateIdentity | undefined
  if (!keyed) {
    identity = certificateIdentity(certificateOf(entity))
    policy?.matches(identity)
  }

  const times = tlogEntries.map((e) => Number(e.integratedTime)).filter((t) => t > 0)
  return {
    identity,
    integratedTime: times.length > 0 ? new Date(Math.min(...times) * 1000) : undefined,
    tlogVerified: tlogEntries.length > 0,
  }
}

/** The caller's key answers whatever hint the bundle carries; it has no validity window. */
function fixedKey(publicKeyPem: string) {
  const publicKey = createPublicKey(publicKeyPem)
  return () => ({publicKey, validFor: () => true})
}
