/** Opening and sealing cosign's encrypted keys (nacl/secretbox); the format is in encrypted-format.ts. */
import {randomBytes} from 'node:crypto'
import nacl from 'tweetnacl'

import {PluginError} from '../errors.js'
import {COSIGN_SCRYPT, deriveKey, type EncryptedKey, NONCE_BYTES, SALT_BYTES, type ScryptParams, SIGSTORE_KEY_LABEL} from './encrypted-format.js'
import {encodePem} from './pem.js'

export {
  COSIGN_KEY_LABEL,
  COSIGN_SCRYPT,
  deriveKey,
  ENCRYPTED_KEY_LABELS,
  type EncryptedKey,
  parseEncryptedKey,
  type ScryptParams,
  SIGSTORE_KEY_LABEL,
} from './encrypted-format.js'

/** The PKCS#8 DER inside; a password that does not open the box is KEY_PASSWORD. */
export async function decryptKey(key: EncryptedKey, password: Buffer, source: string): Promise<Buffer> {
  const boxKey = await deriveKey(password, key.salt, key.scrypt)
  const plaintext = nacl.secretbox.open(key.ciphertext, key.nonce, boxKey)
  if (plaintext === null) throw new PluginError('KEY_PASSWORD', `wrong password for ${source}`)
  return Buffer.from(plaintext)
}

export interface EncryptOptions {
  /** Defaults to ENCRYPTED SIGSTORE PRIVATE KEY, as cosign 2.x writes. */
  readonly label?: string
  /** Test-only: produce older-format files (cosign 1.x used N=32768). */
  readonly scrypt?: ScryptParams
}

/** cosign's encrypted PEM for a PKCS#8 DER key, with a fresh salt and nonce. */
export async function encryptKey(pkcs8: Buffer, password: Buffer, options: EncryptOptions = {}): Promise<string> {
  const params = options.scrypt ?? COSIGN_SCRYPT
  const salt = randomBytes(SALT_BYTES)
  const nonce = randomBytes(NONCE_BYTES)
  const ciphertext = nacl.secretbox(pkcs8, nonce, await deriveKey(password, salt, params))
  // Field order and names as Go's json.Marshal writes go-securesystemslib's structs.
  const json = {
    kdf: {name: 'scrypt', params: {N: params.N, r: params.r, p: params.p}, salt: salt.toString('base64')},
    cipher: {name: 'nacl/secretbox', nonce: nonce.toString('base64')},
    ciphertext: Buffer.from(ciphertext).toString('base64'),
  }
  return encodePem(options.label ?? SIGSTORE_KEY_LABEL, Buffer.from(JSON.stringify(json)))
}
