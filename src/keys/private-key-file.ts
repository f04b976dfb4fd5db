/**
 * Reads a private key file into a KeyObject: cosign's encrypted formats, and (our extra) the
 * plain PEM formats cosign only takes through import-key-pair.
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

export async function readPrivateKey(path: string, password: PasswordSource): Promise<KeyObject> {
  const text = await readKeyFile(path)
  // openssl ecparam -genkey puts an EC PARAMETERS block first; skip to the key.
  const block = decodePemBlocks(text, path).find((b) => ENCRYPTED_KEY_LABELS.includes(b.label) || b.label in PLAIN_LABELS)
  if (block === undefined) {
    throw new PluginError(
      'KEY_INVALID',
      `${path} is not a PEM private key (expected ENCRYPTED SIGSTORE PRIVATE KEY, ENCRYPTED COSIGN PRIVATE KEY, PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY)`,
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

  return parseDer(block.der, PLAIN_LABELS[block.label]!, path)
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
