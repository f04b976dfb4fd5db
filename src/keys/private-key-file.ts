/**
 * Reads a private key file into a KeyObject: cosign's encrypted formats, and (our extra) the
 * PEM formats cosign only takes through import-key-pair — plain, or PKCS#8 encrypted with a
 * password (`openssl pkcs8 -topk8`), whose password comes from the same sources as cosign's.
 */
import {createPrivateKey, type KeyObject} from 'node:crypto'

import {messageOf, PluginError} from '../errors.js'
import {decryptKey, ENCRYPTED_KEY_LABELS, parseEncryptedKey} from './encrypted.js'
import {readKeyFile} from './key-file.js'
import type {PasswordSource} from './password.js'
import {decodePemBlocks} from './pem.js'

// PEM label → the DER structure Node should parse it as.
const PLAIN_LABELS: Record<string, 'pkcs1' | 'pkcs8' | 'sec1'> = {
  'PRIVATE KEY': 'pkcs8',
  'EC PRIVATE KEY': 'sec1',
  'RSA PRIVATE KEY': 'pkcs1',
}

/** PKCS#8 EncryptedPrivateKeyInfo (PBES2 and friends), as openssl writes it. */
const PKCS8_ENCRYPTED_LABEL = 'ENCRYPTED PRIVATE KEY'

export async function readPrivateKey(path: string, password: PasswordSource): Promise<KeyObject> {
  const text = await readKeyFile(path)
  // openssl ecparam -genkey puts an EC PARAMETERS block first; skip to the key.
  const block = decodePemBlocks(text, path).find(
    (b) => ENCRYPTED_KEY_LABELS.includes(b.label) || b.label in PLAIN_LABELS || b.label === PKCS8_ENCRYPTED_LABEL,
  )
  if (block === undefined) {
    throw new PluginError(
      'KEY_INVALID',
      `${path} is not a PEM private key (expected ENCRYPTED SIGSTORE PRIVATE KEY, ENCRYPTED COSIGN PRIVATE KEY, PRIVATE KEY, ENCRYPTED PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY)`,
    )
  }

  if (block.hasHeaders) {
    throw new PluginError(
      'KEY_INVALID',
      `${path} is a legacy OpenSSL-encrypted PEM key, which is not supported; convert it with \`openssl pkcs8 -topk8 -nocrypt\` or \`cosign import-key-pair\``,
    )
  }

  if (ENCRYPTED_KEY_LABELS.includes(block.label)) {
    // Parameters are checked before the password is asked for: no prompt for a file we cannot read.
    const encrypted = parseEncryptedKey(block.der, path)
    const der = await decryptKey(encrypted, await password(path), path)
    return parseDer(der, 'pkcs8', path)
  }

  if (block.label === PKCS8_ENCRYPTED_LABEL) return decryptPkcs8(block.der, await password(path), path)
  return parseDer(block.der, PLAIN_LABELS[block.label]!, path)
}

/**
 * OpenSSL decrypts; a wrong password fails its padding check (ERR_OSSL_BAD_DECRYPT) or leaves
 * bytes that are no key (a DECODER error). A scheme OpenSSL 3 does not do at all — PKCS#12's RC2
 * and RC4 (`openssl pkcs8 -v1 PBE-SHA1-RC2-40`), in its legacy provider — fails with
 * ERR_OSSL_EVP_UNSUPPORTED whatever the password: that is named as such, with the fix.
 */
function decryptPkcs8(der: Buffer, password: Buffer, path: string): KeyObject {
  try {
    return createPrivateKey({key: der, format: 'der', type: 'pkcs8', passphrase: password})
  } catch (error) {
    const code = (error as {code?: string}).code ?? ''
    if (/EVP_UNSUPPORTED|UNSUPPORTED_(ALGORITHM|CIPHER|PRF)|UNKNOWN_(ALGORITHM|CIPHER)/.test(code)) {
      throw new PluginError(
        'KEY_INVALID',
        `${path} is a PKCS#8 key (ENCRYPTED PRIVATE KEY) encrypted with an old scheme OpenSSL 3 no longer does by default; re-encrypt it with \`openssl pkcs8 -provider legacy -provider default -in ${path} | openssl pkcs8 -topk8 -v2 aes-256-cbc -out key-aes.pem\`, or decrypt it with \`openssl pkcs8 -provider legacy -provider default -in ${path} -out key-plain.pem\` (then \`cosign import-key-pair --key key-plain.pem\` makes a cosign key)`,
        {cause: error},
      )
    }

    throw new PluginError('KEY_PASSWORD', `wrong password for ${path} (an encrypted PKCS#8 key: ENCRYPTED PRIVATE KEY)`, {cause: error})
  }
}

function parseDer(der: Buffer, type: 'pkcs1' | 'pkcs8' | 'sec1', path: string): KeyObject {
  try {
    return createPrivateKey({key: der, format: 'der', type})
  } catch (error) {
    throw new PluginError('KEY_INVALID', `${path} does not hold a readable private key: ${messageOf(error)}`, {
      cause: error,
    })
  }
}
