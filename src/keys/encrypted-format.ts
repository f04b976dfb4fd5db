/**
 * cosign's encrypted private key format (go-securesystemslib `encrypted`): the PEM body is JSON
 * {kdf: scrypt, cipher: nacl/secretbox, ciphertext}, the plaintext a PKCS#8 DER private key.
 * Parsing and the scrypt live here, without the secretbox (tweetnacl): the `sign` bin starts a
 * key's scrypt from this module before anything else loads.
 */
import {createHash, scrypt} from 'node:crypto'

import {PluginError} from '../errors.js'

export const SIGSTORE_KEY_LABEL = 'ENCRYPTED SIGSTORE PRIVATE KEY'
/** Written by cosign before 2.0; still read by cosign, so we read it too. */
export const COSIGN_KEY_LABEL = 'ENCRYPTED COSIGN PRIVATE KEY'
export const ENCRYPTED_KEY_LABELS: readonly string[] = [SIGSTORE_KEY_LABEL, COSIGN_KEY_LABEL]

export interface ScryptParams {
  readonly N: number
  readonly r: number
  readonly p: number
}

/** What cosign 2.5 writes. */
export const COSIGN_SCRYPT: ScryptParams = {N: 65_536, r: 8, p: 1}
// What cosign accepts when decrypting: anything else could be a denial of service by a tampered file.
const ACCEPTED_N = new Set([32_768, 65_536, 131_072])

export const SALT_BYTES = 32
const KEY_BYTES = 32
export const NONCE_BYTES = 24

/** A parsed, not yet decrypted key: checked before any password is asked for. */
export interface EncryptedKey {
  readonly scrypt: ScryptParams
  readonly salt: Buffer
  readonly nonce: Buffer
  readonly ciphertext: Buffer
}

export function parseEncryptedKey(body: Buffer, source: string): EncryptedKey {
  const invalid = (what: string) => new PluginError('KEY_INVALID', `${source} is not a valid cosign encrypted key: ${what}`)
  let json: any
  try {
    json = JSON.parse(body.toString('utf8'))
  } catch {
    throw invalid('its body is not JSON')
  }

  if (json?.kdf?.name !== 'scrypt') throw invalid(`unknown kdf ${JSON.stringify(json?.kdf?.name)}`)
  if (json?.cipher?.name !== 'nacl/secretbox') throw invalid(`unknown cipher ${JSON.stringify(json?.cipher?.name)}`)
  const {N, r, p} = json.kdf.params ?? {}
  if (r !== 8 || p !== 1 || !ACCEPTED_N.has(N)) {
    throw new PluginError(
      'KEY_INVALID',
      `unsupported scrypt parameters in ${source} (N=${N}, r=${r}, p=${p}); cosign accepts r=8, p=1 and N 32768, 65536 or 131072`,
    )
  }

  const salt = base64Field(json.kdf.salt, 'salt', invalid)
  const nonce = base64Field(json.cipher.nonce, 'nonce', invalid)
  if (nonce.length !== NONCE_BYTES) throw invalid(`the nonce is ${nonce.length} bytes, not ${NONCE_BYTES}`)
  const ciphertext = base64Field(json.ciphertext, 'ciphertext', invalid)
  return {scrypt: {N, r, p}, salt, nonce, ciphertext}
}

/**
 * Derived box keys of this process, by password, salt and parameters: the `sign` bin starts a
 * key's scrypt before oclif loads (see prefetch.ts), and the command then finds it under way.
 */
const derivedKeys = new Map<string, Promise<Buffer>>()

/** The scrypt box key for a cosign key file's salt; the same inputs share one derivation. */
export function deriveKey(password: Buffer, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const {N, r, p} = params
  const id = derivationId(password, salt, params)
  let derived = derivedKeys.get(id)
  if (derived === undefined) {
    // scrypt needs 128·N·r bytes (64 MiB for cosign's N); Node's default cap is 32 MiB.
    const maxmem = 2 * 128 * N * r * p
    derived = new Promise((resolve, reject) => {
      scrypt(password, salt, KEY_BYTES, {N, r, p, maxmem}, (error, key) => (error ? reject(error) : resolve(key)))
    })
    derivedKeys.set(id, derived)
  }

  return derived
}

/** Whether a derivation for these inputs has started in this process (what a prefetch leaves). */
export function derivationStarted(password: Buffer, salt: Buffer, params: ScryptParams): boolean {
  return derivedKeys.has(derivationId(password, salt, params))
}

/** A digest, not the password itself, names the entry. */
function derivationId(password: Buffer, salt: Buffer, {N, r, p}: ScryptParams): string {
  return createHash('sha256').update(password).update('\0').update(salt).update(`\0${N}:${r}:${p}`).digest('hex')
}

function base64Field(value: unknown, name: string, invalid: (what: string) => PluginError): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
    throw invalid(`the ${name} is not base64`)
  }

  return Buffer.from(value, 'base64')
}
