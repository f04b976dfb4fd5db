import {type Signer as SigstoreSigner} from '@sigstore/sign'

import {type Signer} from '../../keys/index.js'
import {publicKeyHint, sigstoreSigner} from '../../keyless/key-signer.js'

/**
 * Our key files as an @sigstore/sign Signer (one adapter, in keyless/key-signer.ts): the bundle
 * builders sign through this one-method seam, so a key file, a KMS key and Fulcio (keyless) all
 * make bundles the same way.
 */
export const sigstoreKeySigner = (signer: Signer): SigstoreSigner => sigstoreSigner(signer)
export {publicKeyHint}

/** Our Signer (a key we hold) rather than a bare @sigstore/sign Signer (e.g. Fulcio's). */
export function isKeySigner(signer: Signer | SigstoreSigner): signer is Signer {
  return typeof (signer as Signer).publicKeyPem === 'string'
}
