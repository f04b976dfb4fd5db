/**
 * Key objects on a token: found by CKA_ID and/or CKA_LABEL, the public half read from its public
 * key object (CKA_EC_PARAMS/CKA_EC_POINT, or CKA_MODULUS/CKA_PUBLIC_EXPONENT) into a KeyObject.
 * The private key never leaves the token: only its handle is kept.
 */
import {createPublicKey, type KeyObject} from 'node:crypto'

import {PluginError} from '../../errors.js'
import {CK, type Attribute, type Handle} from './binding.js'
import {tokenFailure} from './failures.js'
import {type TokenSession} from './token.js'

export interface KeySelector {
  readonly object?: string
  readonly id?: Buffer
}

export interface TokenKey {
  readonly handle: Handle
  readonly id: Buffer
  readonly label: string
  readonly keyType: number
}

/** Named curves by the DER of their OID (CKA_EC_PARAMS): JWK name, and the field size in bytes. */
const CURVES = new Map<string, {crv: string; bytes: number}>([
  ['06082a8648ce3d030107', {crv: 'P-256', bytes: 32}],
  ['06052b81040022', {crv: 'P-384', bytes: 48}],
  ['06052b81040023', {crv: 'P-521', bytes: 66}],
])
/** Curves we can name in a message but do not sign with. */
const OTHER_CURVES = new Map<string, string>([
  ['06052b8104000a', 'secp256k1'],
  ['06092b2403030208010107', 'brainpoolP256r1'],
  ['06092b240303020801010b', 'brainpoolP384r1'],
  ['06032b6570', 'Ed25519'],
  ['06032b6571', 'Ed448'],
])
const KEY_TYPES: Record<number, string> = {0x1: 'DSA', 0x2: 'DH', 0x40: 'EC Edwards (EdDSA)', 0x41: 'EC Montgomery'}

/** `object="k256" id=%01`: how messages name what a URI asks for. */
export function describeSelector(selector: KeySelector): string {
  const parts: string[] = []
  if (selector.object !== undefined) parts.push(`object=${JSON.stringify(selector.object)}`)
  if (selector.id !== undefined) parts.push(`id=${hexId(selector.id)}`)
  return parts.join(' ')
}

export function hexId(id: Buffer): string {
  return [...id].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')
}

/** Every object of a class that matches the selector (all of them without one). */
export function findObjects(session: TokenSession, objectClass: number, selector: KeySelector = {}, max = 2): Promise<Handle[]> {
  const template: Attribute[] = [{type: CK.CKA_CLASS, value: objectClass}]
  if (selector.id !== undefined) template.push({type: CK.CKA_ID, value: selector.id})
  if (selector.object !== undefined) template.push({type: CK.CKA_LABEL, value: selector.object})
  return session.run((api, handle) => {
    try {
      api.C_FindObjectsInit(handle, template)
      try {
        return api.C_FindObjects(handle, max)
      } finally {
        api.C_FindObjectsFinal(handle)
      }
    } catch (error) {
      throw tokenFailure(error, session.where, 'C_FindObjects')
    }
  })
}

/** The one private key the selector names in the token; its id, label and type. */
export async function findPrivateKey(session: TokenSession, selector: KeySelector): Promise<TokenKey> {
  const found = await findObjects(session, CK.CKO_PRIVATE_KEY, selector)
  if (found.length === 0) {
    const hint = session.loggedIn ? '' : ' (not logged in: the token may keep it private; give the PIN with pin-source or pin-value)'
    throw new PluginError('KEY_NOT_FOUND', `no private key with ${describeSelector(selector)} in ${session.where}${hint}; \`pkcs11 list-keys\` lists the keys there are`)
  }

  if (found.length > 1) {
    throw new PluginError('KEY_INVALID', `several private keys match ${describeSelector(selector)} in ${session.where}; add id= (or object=) to the URI to choose one`)
  }

  return describeObject(session, found[0]!)
}

/**
 * The public key object of a private key: the one with its CKA_ID and label; else with its CKA_ID
 * (labels of a pair may differ); else, for a key without an id, with its label.
 */
export async function publicKeyOf(session: TokenSession, privateKey: TokenKey, what: string): Promise<TokenKey> {
  const hasId = privateKey.id.length > 0
  if (hasId && privateKey.label !== '') {
    const exact = await findObjects(session, CK.CKO_PUBLIC_KEY, {id: privateKey.id, object: privateKey.label})
    if (exact.length === 1) return describeObject(session, exact[0]!)
  }

  return findPublicKey(session, hasId ? {id: privateKey.id} : {object: privateKey.label}, what)
}

/** The one public key object the selector names. */
export async function findPublicKey(session: TokenSession, selector: KeySelector, what: string): Promise<TokenKey> {
  const found = await findObjects(session, CK.CKO_PUBLIC_KEY, selector)
  if (found.length === 0) {
    throw new PluginError(
      'KEY_NOT_FOUND',
      `no public key object with ${describeSelector(selector)} in ${session.where}${what}; the public key is read from the token: import it as a public key object with the key's id and label (pkcs11-tool --write-object key.pub.der --type pubkey)`,
    )
  }

  if (found.length > 1) {
    throw new PluginError('KEY_INVALID', `several public key objects match ${describeSelector(selector)} in ${session.where}; add id= (or object=) to the URI to choose one`)
  }

  return describeObject(session, found[0]!)
}

export function describeObject(session: TokenSession, handle: Handle): Promise<TokenKey> {
  return session.run((api, sessionHandle) => {
    const values = attributes(api.C_GetAttributeValue.bind(api), sessionHandle, handle, [CK.CKA_ID, CK.CKA_LABEL, CK.CKA_KEY_TYPE], session.where)
    return {
      handle,
      id: values.get(CK.CKA_ID) ?? Buffer.alloc(0),
      label: (values.get(CK.CKA_LABEL) ?? Buffer.alloc(0)).toString('utf8'),
      keyType: ulong(values.get(CK.CKA_KEY_TYPE)),
    }
  })
}

/** The public key of a public key object, or KEY_INVALID naming what kind of key it is. */
export function readPublicKey(session: TokenSession, key: TokenKey, source: string): Promise<KeyObject> {
  return session.run((api, handle) => {
    const get = api.C_GetAttributeValue.bind(api)
    if (key.keyType === CK.CKK_EC) {
      const values = attributes(get, handle, key.handle, [CK.CKA_EC_PARAMS, CK.CKA_EC_POINT], session.where)
      const params = (values.get(CK.CKA_EC_PARAMS) ?? Buffer.alloc(0)).toString('hex')
      const curve = CURVES.get(params)
      if (curve === undefined) throw unsupported(source, `an EC key on curve ${OTHER_CURVES.get(params) ?? `with parameters ${params}`}`)
      const point = uncompressedPoint(values.get(CK.CKA_EC_POINT) ?? Buffer.alloc(0), curve.bytes)
      if (point === undefined) throw new PluginError('KEY_INVALID', `${source}: the token's CKA_EC_POINT is not an uncompressed ${curve.crv} point`)
      const x = point.subarray(1, 1 + curve.bytes).toString('base64url')
      const y = point.subarray(1 + curve.bytes).toString('base64url')
      return jwk({kty: 'EC', crv: curve.crv, x, y}, source)
    }

    if (key.keyType === CK.CKK_RSA) {
      const values = attributes(get, handle, key.handle, [CK.CKA_MODULUS, CK.CKA_PUBLIC_EXPONENT], session.where)
      const n = (values.get(CK.CKA_MODULUS) ?? Buffer.alloc(0)).toString('base64url')
      const e = (values.get(CK.CKA_PUBLIC_EXPONENT) ?? Buffer.alloc(0)).toString('base64url')
      return jwk({kty: 'RSA', n, e}, source)
    }

    throw unsupported(source, `a ${KEY_TYPES[key.keyType] ?? `type 0x${key.keyType.toString(16)}`} key`)
  })
}

function unsupported(source: string, what: string): PluginError {
  return new PluginError('KEY_INVALID', `${source} is ${what}, which is not supported; supported: ${PKCS11_ALGORITHMS}`)
}

/** What a token key may be (Ed25519, which signing files supports, has no PKCS#11 mechanism in cosign). */
export const PKCS11_ALGORITHMS = 'ECDSA P-256, P-384 or P-521, or RSA 2048 to 4096 bits'

function jwk(key: Record<string, string>, source: string): KeyObject {
  try {
    return createPublicKey({key, format: 'jwk'})
  } catch (error) {
    throw new PluginError('KEY_INVALID', `${source}: the token's public key is not readable (${(error as Error).message})`, {cause: error})
  }
}

/**
 * CKA_EC_POINT is an ASN.1 OCTET STRING holding the point (the standard's form); a few modules
 * return the bare point. Either way, the uncompressed point 04‖X‖Y.
 */
function uncompressedPoint(value: Buffer, bytes: number): Buffer | undefined {
  const length = 1 + 2 * bytes
  if (value.length === length && value[0] === 0x04) return value
  if (value[0] !== 0x04) return undefined
  let offset = 2
  let size = value[1] ?? 0
  if (size & 0x80) {
    const count = size & 0x7f
    size = 0
    for (let i = 0; i < count; i++) size = size * 256 + (value[2 + i] ?? 0)
    offset = 2 + count
  }

  const point = value.subarray(offset, offset + size)
  return point.length === length && size === length && point[0] === 0x04 ? point : undefined
}

function attributes(
  get: (session: Handle, object: Handle, template: Attribute[]) => {type: number; value?: Buffer}[],
  session: Handle,
  object: Handle,
  types: number[],
  where: string,
): Map<number, Buffer> {
  try {
    return new Map(get(session, object, types.map((type) => ({type}))).map((a) => [a.type, a.value ?? Buffer.alloc(0)]))
  } catch (error) {
    throw tokenFailure(error, where, 'C_GetAttributeValue')
  }
}

/** A CK_ULONG attribute (little-endian, the platform's width). */
function ulong(value: Buffer | undefined): number {
  if (value === undefined || value.length === 0) return -1
  return value.length >= 8 ? Number(value.readBigUInt64LE(0)) : value.readUInt32LE(0)
}
