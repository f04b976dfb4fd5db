/**
 * Entry points for keys: a path (or a `pkcs11:` URI, a key in an HSM or token) becomes a Signer or
 * Verifier. PKCS#11 code and its native binding load only for a `pkcs11:` key.
 */
import {createPublicKey} from 'node:crypto'
import {resolve} from 'node:path'

import {messageOf, PluginError} from '../errors.js'
import {readKeyFile} from './key-file.js'
import {signerFromKey, verifierFromKey} from './key-object.js'
import type {PasswordSource} from './password.js'
import {decodePemBlocks} from './pem.js'
import {isPkcs11Uri} from './pkcs11/uri.js'
import {readPrivateKey} from './private-key-file.js'
import type {Signer, Verifier} from './types.js'

// scrypt at cosign's N costs ~0.2 s and a prompt costs the user a password: one decryption per
// key file per process, however many images are signed.
const signers = new Map<string, Promise<Signer>>()

export function loadSigner(path: string, password: PasswordSource): Promise<Signer> {
  const pkcs11 = isPkcs11Uri(path)
  const key = pkcs11 ? path : resolve(path)
  let signer = signers.get(key)
  if (signer === undefined) {
    signer = pkcs11
      ? import('./pkcs11/index.js').then((token) => token.loadPkcs11Signer(path, password))
      : readPrivateKey(path, password).then((privateKey) => signerFromKey(privateKey, path))
    // A failure (wrong password, missing file) is not remembered: a later call may succeed.
    const pending = signer
    pending.catch(() => signers.get(key) === pending && signers.delete(key))
    signers.set(key, signer)
  }

  return signer
}

/** Test-only: drop every remembered signer. */
export function forgetLoadedSigners(): void {
  signers.clear()
}

/** A `PUBLIC KEY` (SPKI) PEM file, or the public key of a `pkcs11:` key, read from its token. */
export async function loadVerifier(path: string): Promise<Verifier> {
  if (isPkcs11Uri(path)) return (await import('./pkcs11/index.js')).loadPkcs11Verifier(path)
  return verifierFromPem(await readKeyFile(path), path)
}

/** A Verifier from `PUBLIC KEY` PEM text, e.g. a key given inline; source names it in errors. */
export function verifierFromPem(pem: string, source: string): Verifier {
  const block = decodePemBlocks(pem, source).find((b) => b.label === 'PUBLIC KEY')
  if (block === undefined) {
    throw new PluginError('KEY_INVALID', `${source} is not a PEM public key (expected PUBLIC KEY)`)
  }

  try {
    return verifierFromKey(createPublicKey({key: block.der, format: 'der', type: 'spki'}), source)
  } catch (error) {
    if (error instanceof PluginError) throw error
    throw new PluginError('KEY_INVALID', `${source} does not hold a readable public key: ${messageOf(error)}`, {
      cause: error,
    })
  }
}
