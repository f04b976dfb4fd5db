import {DEFAULT_FULCIO_URL, DEFAULT_REKOR_URL} from '../keyless/defaults.js'
import {type IdentityToken, keylessSigner} from '../keyless/index.js'
import {type KeylessSigning, type SigningMethod} from './signing-method.js'

// Loaded only for keyless runs: the sigstore packages it pulls in cost start-up time.

/**
 * Keyless: an ephemeral key, certified by Fulcio for the token's identity once for the run (the
 * certificate is asked for on first use: call `witnessing.certificate()` to ask up front), and
 * every signature logged in Rekor.
 */
export function keylessSigning(token: IdentityToken, method: SigningMethod): KeylessSigning {
  const fulcioUrl = method.fulcioUrl ?? DEFAULT_FULCIO_URL
  const keyless = keylessSigner({identity: token, fulcioURL: fulcioUrl})
  return {
    signer: keyless.signer,
    fulcioUrl,
    witnessing: {
      certificate: keyless.certificate,
      sigstoreSigner: keyless.sigstoreSigner,
      rekorUrl: method.rekorUrl ?? DEFAULT_REKOR_URL,
      ...(method.tsaUrl ? {tsaUrl: method.tsaUrl} : {}),
    },
  }
}
