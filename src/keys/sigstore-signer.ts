import {createHash, createPublicKey} from 'node:crypto'

import type {Signer as SigstoreSigner} from '@sigstore/sign'

import {type Signer} from './types.js'

/**
 * Our key Signer as @sigstore/sign's Signer, so a key file signs bundles and its signatures go to
 * Rekor through the same builders and witnesses as keyless ones. The key hint defaults to what
 * cosign puts in a bundle's `verificationMaterial.publicKey.hint`: base64 SHA-256 of the SPKI DER.
 */
export function sigstoreSigner(signer: Signer, hint: string = publicKeyHint(signer.publicKeyPem)): SigstoreSigner {
  return {
    async sign(data) {
      return {signature: await signer.sign(data), key: {$case: 'publicKey', publicKey: signer.publicKeyPem, hint}}
    },
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
