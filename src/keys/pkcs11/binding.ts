/**
 * The native PKCS#11 binding (pkcs11js, an optional dependency built by node-gyp at install),
 * imported only when a `pkcs11:` key is used. Typed here, not from its own declarations, so the
 * plugin builds and runs where it is absent.
 */
import {messageOf, PluginError} from '../../errors.js'

// The PKCS#11 constants we use (PKCS#11 2.40 base specification, pkcs11t.h).
export const CK = {
  CKF_OS_LOCKING_OK: 0x2,
  CKF_SERIAL_SESSION: 0x4,
  CKU_USER: 1,
  CKO_PUBLIC_KEY: 2,
  CKO_PRIVATE_KEY: 3,
  CKA_CLASS: 0x0,
  CKA_LABEL: 0x3,
  CKA_KEY_TYPE: 0x100,
  CKA_ID: 0x102,
  CKA_MODULUS: 0x120,
  CKA_PUBLIC_EXPONENT: 0x122,
  CKA_EC_PARAMS: 0x180,
  CKA_EC_POINT: 0x181,
  CKK_RSA: 0x0,
  CKK_EC: 0x3,
  CKM_RSA_PKCS: 0x1,
  CKM_SHA256_RSA_PKCS: 0x40,
  CKM_ECDSA: 0x1041,
  // CK_TOKEN_INFO flags
  CKF_LOGIN_REQUIRED: 0x4,
  CKF_USER_PIN_INITIALIZED: 0x8,
  CKF_PROTECTED_AUTHENTICATION_PATH: 0x100,
  CKF_TOKEN_INITIALIZED: 0x400,
  CKF_USER_PIN_LOCKED: 0x4_0000,
} as const

/** A slot, session or object handle: pkcs11js passes CK_ULONGs as little-endian Buffers. */
export type Handle = Buffer

export interface Attribute {
  type: number
  value?: number | boolean | string | Buffer
}

export interface TokenInfo {
  label: string
  manufacturerID: string
  model: string
  serialNumber: string
  flags: number
}

/** The part of pkcs11js's PKCS11 class we call. */
export interface Pkcs11Api {
  load(path: string): void
  close(): void
  C_Initialize(options?: {flags?: number}): void
  C_Finalize(): void
  C_GetSlotList(tokenPresent?: boolean): Handle[]
  C_GetTokenInfo(slot: Handle): TokenInfo
  C_GetMechanismList(slot: Handle): number[]
  C_OpenSession(slot: Handle, flags: number): Handle
  C_CloseSession(session: Handle): void
  C_Login(session: Handle, userType: number, pin?: string): void
  C_FindObjectsInit(session: Handle, template: Attribute[]): void
  C_FindObjects(session: Handle, maxObjectCount: number): Handle[]
  C_FindObjectsFinal(session: Handle): void
  C_GetAttributeValue(session: Handle, object: Handle, template: Attribute[]): {type: number; value?: Buffer}[]
  C_SignInit(session: Handle, mechanism: {mechanism: number}, key: Handle): void
  C_SignAsync(session: Handle, data: Buffer, out: Buffer): Promise<Buffer>
}

interface Binding {
  PKCS11: new () => Pkcs11Api
}

let binding: Promise<Binding> | undefined

/** A fresh PKCS11 object (one per module); one clear line when the binding is not there. */
export async function newPkcs11(): Promise<Pkcs11Api> {
  binding ??= importBinding()
  const {PKCS11} = await binding
  return new PKCS11()
}

async function importBinding(): Promise<Binding> {
  const name = 'pkcs11js'
  try {
    const imported = (await import(name)) as Binding & {default?: Binding}
    const module = imported.default ?? imported
    if (typeof module.PKCS11 !== 'function') throw new TypeError('it does not export PKCS11')
    return module
  } catch (error) {
    binding = undefined
    const code = (error as NodeJS.ErrnoException).code
    const missing = code === 'ERR_MODULE_NOT_FOUND' && messageOf(error).includes(`'${name}'`)
    const why = missing ? 'its native binding pkcs11js is not installed' : `its native binding pkcs11js does not load (${oneLine(messageOf(error))})`
    throw new PluginError(
      'KEY_INVALID',
      `PKCS#11 support is not installed: ${why}; npm builds this optional dependency with node-gyp (python3, make and a C++ compiler), so install those and run npm install again`,
      {cause: error},
    )
  }
}

function oneLine(text: string): string {
  return text.split('\n')[0]!.slice(0, 200)
}
