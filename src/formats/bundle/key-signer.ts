import {createHash, createPublicKey} from 'node:crypto'

import {type Signer as SigstoreSigner} from '@sigstore/sign'

import {type Signer} from '../../keys/index.js'

/**
 * Our key files as an @sigstore/sign Signer: the bundle builders sign through this one-method
 * seam, so a key file, a KMS key and Fulcio (keyless) all make bundles the same way.
 */
export function sigstoreKeySigner(signer: Signer): SigstoreSigner {
  const key = {$case: 'publicKey' as const, publicKey: signer.publicKeyPem, hint: publicKeyHint(signer.publicKeyPem)}
  return {
    sign: async (data) => ({signature: await signer.sign(data), key}),
  }
}

/**
 * cosign's key hint (internal/key/svkeypair.go): base64 of the SHA-256 of the SPKI DER, written to
 * `verificationMaterial.publicKey.hint` so a verifier holding several keys can pick the right one.
 */
export function publicKeyHint(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({type: 'spki', format: 'der'})
  return createHash('sha256').update(der).digest('base64')
}

/** Our Signer (a key we hold) rather than a bare @sigstore/sign Signer (e.g. Fulcio's). */
export function isKeySigner(signer: Signer | SigstoreSigner): signer is Signer {
  return typeof (signer as Signer).publicKeyPem === 'string'
}
