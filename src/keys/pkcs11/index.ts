/**
 * `pkcs11:` keys: a Signer whose private key stays in an HSM or token, a Verifier from the token's
 * public key, and the listings of `pkcs11 list-tokens` and `pkcs11 list-keys`. Loaded by
 * keys/load.ts only when a key is a `pkcs11:` URI; the native binding only from here.
 */
import {isAbsolute, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {messageOf, PluginError} from '../../errors.js'
import {MAX_PASSWORD_BYTES, readFileAtMost} from '../../util/input-limits.js'
import {rememberSecret} from '../../util/secrets.js'
import {algorithmOf, describeKey} from '../algorithms.js'
import {verifierFromKey} from '../key-object.js'
import {type PasswordSource, withoutTrailingNewline} from '../password.js'
import type {Signer, Verifier} from '../types.js'
import {CK} from './binding.js'
import {describeObject, findObjects, findPrivateKey, findPublicKey, publicKeyOf, readPublicKey, type TokenKey} from './objects.js'
import {tokenSigner} from './signer.js'
import {describeTokens, openModule, openToken, type PinSource, type TokenSession} from './token.js'
import {formatPkcs11Uri, type Pkcs11Uri, parsePkcs11Uri} from './uri.js'

export {closeTokens} from './token.js'
export {displayUri, isPkcs11Uri} from './uri.js'

/** The key a URI names, signing in its token; the PIN from the URI, else from `password`. */
export async function loadPkcs11Signer(reference: string, password: PasswordSource): Promise<Signer> {
  const uri = parsePkcs11Uri(reference)
  const session = await openToken(uri.modulePath, uri)
  await session.logIn(pinSource(uri, session, password), pinGiven(uri))
  const privateKey = await findPrivateKey(session, uri)
  const publicObject = await publicKeyOf(session, privateKey, ` beside the private key ${uri.display}`)
  const publicKey = await readPublicKey(session, publicObject, uri.display)
  return tokenSigner(session, privateKey, publicKey, uri.display)
}

/**
 * The public key a URI names, read from the token: its public key object (or the public half of
 * the private key it names). Logs in only when the URI gives a PIN: public objects are readable
 * without one on most tokens.
 */
export async function loadPkcs11Verifier(reference: string): Promise<Verifier> {
  const uri = parsePkcs11Uri(reference)
  const session = await openToken(uri.modulePath, uri)
  const given = pinGiven(uri)
  if (given) await session.logIn(pinSource(uri, session), true)
  const publicObject = await findPublicKey(session, uri, given ? '' : ' (if the token keeps public keys private, give the PIN with pin-source or pin-value)')
  return verifierFromKey(await readPublicKey(session, publicObject, uri.display), uri.display)
}

function pinGiven(uri: Pkcs11Uri): boolean {
  return uri.pinValue !== undefined || uri.pinSource !== undefined
}

/** pin-value, else pin-source, else the key password's sources (a token with a PIN pad needs none). */
function pinSource(uri: Pkcs11Uri, session: TokenSession, password?: PasswordSource): PinSource {
  return async () => {
    if (uri.pinValue !== undefined) return remembered(Buffer.from(uri.pinValue, 'utf8'))
    if (uri.pinSource !== undefined) return readPinSource(uri.pinSource)
    if ((session.token.flags & CK.CKF_PROTECTED_AUTHENTICATION_PATH) !== 0) return undefined
    if (password === undefined) throw new PluginError('KEY_PASSWORD', `${session.where} needs its PIN: add pin-source (or pin-value) to the pkcs11: URI`)
    return password(session.where, 'pin')
  }
}

/** pin-source: a file (`file:///path`, `file:/path` or a path), its one trailing newline removed. */
async function readPinSource(source: string): Promise<Buffer> {
  let path = source
  try {
    if (source.startsWith('file:')) path = fileURLToPath(source)
  } catch (error) {
    throw new PluginError('KEY_INVALID', `pin-source ${source} is not a file URI or path: ${messageOf(error)}`, {cause: error})
  }

  let contents: Buffer | undefined
  try {
    contents = await readFileAtMost(path, MAX_PASSWORD_BYTES + 2)
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'
    throw new PluginError(missing ? 'KEY_NOT_FOUND' : 'KEY_PASSWORD', missing ? `PIN file ${path} (pin-source) not found` : `cannot read PIN file ${path} (pin-source): ${messageOf(error)}`, {cause: error})
  }

  if (contents === undefined || contents.length > MAX_PASSWORD_BYTES + 1) throw new PluginError('KEY_PASSWORD', `PIN file ${path} (pin-source) is larger than a PIN: is it the right file?`)
  return remembered(withoutTrailingNewline(contents))
}

function remembered(pin: Buffer): Buffer {
  rememberSecret(pin)
  return pin
}

/** A token of a module, as `pkcs11 list-tokens` prints it. */
export interface TokenListing {
  slotId: string
  label: string
  manufacturer: string
  model: string
  serial: string
  initialized: boolean
  loginRequired: boolean
}

export async function listTokens(modulePath: string): Promise<TokenListing[]> {
  const module = await openModule(isAbsolute(modulePath) ? modulePath : resolve(modulePath))
  return describeTokens(module).map((token) => ({
    slotId: token.slotId.toString(),
    label: token.label,
    manufacturer: token.manufacturer,
    model: token.model,
    serial: token.serial,
    initialized: (token.flags & CK.CKF_TOKEN_INITIALIZED) !== 0,
    loginRequired: (token.flags & CK.CKF_LOGIN_REQUIRED) !== 0,
  }))
}

/** A private key of a token, as `pkcs11 list-keys` prints it. */
export interface KeyListing {
  /** What `--key` takes (no PIN in it). */
  uri: string
  label: string
  /** CKA_ID in hex. */
  id: string
  /** "ECDSA P-256", "RSA 2048 bits", "EC secp256k1", …. */
  type: string
  /** Whether this tool signs with it. */
  supported: boolean
  /** SPKI PEM of its public key object, when it has one: what `cosign verify --key` reads. */
  publicKey?: string
  /** Why it cannot be used, when it cannot. */
  problem?: string
}

export interface KeyListOptions {
  readonly slotId?: bigint
  readonly token?: string
  readonly password: PasswordSource
}

/** Every private key of one token (logging in when it requires it), with its URI and public key. */
export async function listKeys(modulePath: string, options: KeyListOptions): Promise<KeyListing[]> {
  // The URIs printed need an absolute module-path (cosign refuses others).
  modulePath = isAbsolute(modulePath) ? modulePath : resolve(modulePath)
  const session = await openToken(modulePath, {slotId: options.slotId, token: options.token})
  await session.logIn(async () => ((session.token.flags & CK.CKF_PROTECTED_AUTHENTICATION_PATH) !== 0 ? undefined : options.password(session.where, 'pin')), false)
  const handles = await findObjects(session, CK.CKO_PRIVATE_KEY, {}, 10_000)
  const keys = await Promise.all(handles.map((handle) => describeObject(session, handle)))
  const listings: KeyListing[] = []
  for (const key of keys) listings.push(await describeKeyPair(session, key, modulePath))
  return listings.sort((a, b) => a.id.localeCompare(b.id) || a.label.localeCompare(b.label))
}

async function describeKeyPair(session: TokenSession, key: TokenKey, modulePath: string): Promise<KeyListing> {
  const uri = formatPkcs11Uri({token: session.token.label, slotId: session.token.slotId, id: key.id, object: key.label, modulePath})
  const base = {uri, label: key.label, id: key.id.toString('hex')}
  try {
    const publicKey = await readPublicKey(session, await publicKeyOf(session, key, ''), uri)
    const algorithm = algorithmOf(publicKey)
    const curve = publicKey.asymmetricKeyDetails?.namedCurve ?? ''
    const type = publicKey.asymmetricKeyType === 'ec' ? `ECDSA ${NIST_CURVES[curve] ?? curve}` : describeKey(publicKey)
    const supported = algorithm !== undefined && algorithm !== 'ed25519'
    return {...base, type, supported, publicKey: publicKey.export({type: 'spki', format: 'pem'}).toString(), ...(supported ? {} : {problem: 'unsupported key'})}
  } catch (error) {
    if (!(error instanceof PluginError)) throw error
    const type = key.keyType === CK.CKK_EC ? 'EC' : key.keyType === CK.CKK_RSA ? 'RSA' : `key type 0x${key.keyType.toString(16)}`
    return {...base, type, supported: false, problem: error.message}
  }
}

const NIST_CURVES: Record<string, string> = {prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521'}
