/** A new cosign key pair: ECDSA P-256, private key in cosign's encrypted format. */
import {generateKeyPair as generateNodeKeyPair} from 'node:crypto'
import {access, rm, writeFile} from 'node:fs/promises'
import {promisify} from 'node:util'

import {messageOf, PluginError} from '../errors.js'
import {type EncryptOptions, encryptKey} from './encrypted.js'

export interface KeyPairPem {
  /** `ENCRYPTED SIGSTORE PRIVATE KEY` PEM. */
  readonly privateKeyPem: string
  /** `PUBLIC KEY` (SPKI) PEM. */
  readonly publicKeyPem: string
}

export interface KeyPairPaths {
  readonly privateKey: string
  readonly publicKey: string
}

export async function generateKeyPair(password: Buffer, options: EncryptOptions = {}): Promise<KeyPairPem> {
  // P-256 is cosign's default and the only curve containers/image verifies.
  const {privateKey, publicKey} = await promisify(generateNodeKeyPair)('ec', {namedCurve: 'P-256'})
  const pkcs8 = privateKey.export({type: 'pkcs8', format: 'der'})
  return {
    privateKeyPem: await encryptKey(pkcs8, password, options),
    publicKeyPem: publicKey.export({type: 'spki', format: 'pem'}).toString(),
  }
}

export function keyPairPaths(prefix: string): KeyPairPaths {
  return {privateKey: `${prefix}.key`, publicKey: `${prefix}.pub`}
}

/** KEY_EXISTS unless force; called before asking for a password nobody will use. */
export async function assertCanWrite(paths: KeyPairPaths, force: boolean): Promise<void> {
  if (force) return
  for (const path of [paths.privateKey, paths.publicKey]) {
    if (await exists(path)) {
      throw new PluginError('KEY_EXISTS', `${path} already exists; pass --force to overwrite it`)
    }
  }
}

export async function writeKeyPair(paths: KeyPairPaths, pair: KeyPairPem, force: boolean): Promise<void> {
  await assertCanWrite(paths, force)
  await writeNew(paths.privateKey, pair.privateKeyPem, 0o600, force)
  await writeNew(paths.publicKey, pair.publicKeyPem, 0o644, force)
}

// Creating afresh (never rewriting in place) means the key is 0600 from its first byte, even when
// --force replaces a world-readable file. The umask may only narrow the mode, as with cosign.
async function writeNew(path: string, contents: string, mode: number, force: boolean): Promise<void> {
  try {
    if (force) await rm(path, {force: true})
    await writeFile(path, contents, {mode, flag: 'wx'})
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new PluginError('KEY_EXISTS', `${path} already exists; pass --force to overwrite it`, {cause: error})
    }

    throw new PluginError('KEY_INVALID', `cannot write ${path}: ${messageOf(error)}`, {cause: error})
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}
