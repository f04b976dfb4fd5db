/**
 * PKCS#11 modules and tokens of this process: each module loaded and initialized once, one session
 * per token, one login per token (its PIN asked for at most once), and every call on a session
 * queued behind the previous one — a session runs one operation at a time, whatever the module
 * allows, so parallel signing never meets CKR_OPERATION_ACTIVE.
 *
 * Module globals on purpose, like loadSigner's cache (load.ts): a token's session and login are
 * the process's, shared by every key on the token, however many configs name it.
 */
import {statSync} from 'node:fs'

import {messageOf, PluginError} from '../../errors.js'
import {CK, type Handle, newPkcs11, type Pkcs11Api, type TokenInfo} from './binding.js'
import {returnValue, tokenFailure} from './failures.js'

export interface Pkcs11Module {
  readonly path: string
  readonly api: Pkcs11Api
}

/** A token as list-tokens shows it and URIs select it. */
export interface TokenDescription {
  readonly slot: Handle
  readonly slotId: bigint
  readonly label: string
  readonly manufacturer: string
  readonly model: string
  readonly serial: string
  readonly flags: number
}

/** What a URI (or list-keys' flags) asks of a token. */
export interface TokenSelector {
  readonly slotId?: bigint
  readonly token?: string
  readonly manufacturer?: string
  readonly model?: string
  readonly serial?: string
}

const modules = new Map<string, Promise<Pkcs11Module>>()
const sessions = new Map<string, Promise<TokenSession>>()

/** The module at path, loaded and C_Initialize'd once per process. */
export function openModule(path: string): Promise<Pkcs11Module> {
  let module = modules.get(path)
  if (module === undefined) {
    module = loadModule(path)
    const pending = module
    pending.catch(() => modules.get(path) === pending && modules.delete(path))
    modules.set(path, module)
  }

  return module
}

async function loadModule(path: string): Promise<Pkcs11Module> {
  try {
    if (!statSync(path).isFile()) throw new PluginError('KEY_INVALID', `PKCS#11 module ${path} is not a file`)
  } catch (error) {
    if (error instanceof PluginError) throw error
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new PluginError('KEY_NOT_FOUND', `PKCS#11 module ${path} not found (module-path)`, {cause: error})
    throw new PluginError('KEY_INVALID', `cannot read PKCS#11 module ${path}: ${messageOf(error)}`, {cause: error})
  }

  const api = await newPkcs11()
  try {
    api.load(path)
  } catch (error) {
    const message = messageOf(error)
    const why = /C_GetFunctionList/.test(message)
      ? 'it has no C_GetFunctionList'
      : `it cannot be loaded as a shared library (${message.replace(`${path}: `, '').split('\n')[0]})`
    throw new PluginError('KEY_INVALID', `${path} is not a PKCS#11 module: ${why}`, {cause: error})
  }

  try {
    initialize(api)
  } catch (error) {
    throw tokenFailure(error, `PKCS#11 module ${path}`, 'C_Initialize')
  }

  return {path, api}
}

/** With OS locking, so pkcs11js may sign on its thread pool; a module that cannot lock gets none. */
function initialize(api: Pkcs11Api): void {
  try {
    api.C_Initialize({flags: CK.CKF_OS_LOCKING_OK})
  } catch (error) {
    const ckr = returnValue(error)
    if (ckr === 'CKR_CRYPTOKI_ALREADY_INITIALIZED') return
    if (ckr !== 'CKR_CANT_LOCK') throw error
    api.C_Initialize()
  }
}

/** Every token in the module's slots (C_GetSlotList with tokens present). */
export function describeTokens(module: Pkcs11Module): TokenDescription[] {
  const where = `PKCS#11 module ${module.path}`
  let slots: Handle[]
  try {
    slots = module.api.C_GetSlotList(true)
  } catch (error) {
    throw tokenFailure(error, where, 'C_GetSlotList')
  }

  return slots.map((slot) => {
    let info: TokenInfo
    try {
      info = module.api.C_GetTokenInfo(slot)
    } catch (error) {
      throw tokenFailure(error, `${where}, slot ${slotIdOf(slot)}`, 'C_GetTokenInfo')
    }

    return {
      slot,
      slotId: slotIdOf(slot),
      label: padded(info.label),
      manufacturer: padded(info.manufacturerID),
      model: padded(info.model),
      serial: padded(info.serialNumber),
      flags: info.flags,
    }
  })
}

/** The one token the selector names; not there, or several, is said with the tokens there are. */
export function selectToken(module: Pkcs11Module, selector: TokenSelector): TokenDescription {
  const tokens = describeTokens(module)
  const known = tokens.length === 0 ? 'it has no token' : `its tokens: ${tokens.map((t) => `${JSON.stringify(t.label)} (slot-id ${t.slotId})`).join(', ')}`
  const wanted = describeSelector(selector)
  const matching = tokens.filter((t) => matches(t, selector))
  if (matching.length === 0) {
    throw new PluginError('KEY_NOT_FOUND', `no token with ${wanted} in PKCS#11 module ${module.path}; ${known}`)
  }

  if (matching.length > 1) {
    throw new PluginError('KEY_INVALID', `${matching.length} tokens match ${wanted} in PKCS#11 module ${module.path}; add slot-id to choose (${known})`)
  }

  const token = matching[0]!
  if ((token.flags & CK.CKF_TOKEN_INITIALIZED) === 0) {
    throw new PluginError('KEY_NOT_FOUND', `the token in slot-id ${token.slotId} of PKCS#11 module ${module.path} is not initialized`)
  }

  return token
}

function matches(token: TokenDescription, selector: TokenSelector): boolean {
  return (
    (selector.slotId === undefined || token.slotId === selector.slotId) &&
    (selector.token === undefined || token.label === selector.token) &&
    (selector.manufacturer === undefined || token.manufacturer === selector.manufacturer) &&
    (selector.model === undefined || token.model === selector.model) &&
    (selector.serial === undefined || token.serial === selector.serial)
  )
}

function describeSelector(selector: TokenSelector): string {
  const parts: string[] = []
  if (selector.token !== undefined) parts.push(`label ${JSON.stringify(selector.token)}`)
  if (selector.slotId !== undefined) parts.push(`slot-id ${selector.slotId}`)
  for (const name of ['manufacturer', 'model', 'serial'] as const) {
    if (selector[name] !== undefined) parts.push(`${name} ${JSON.stringify(selector[name])}`)
  }

  return parts.join(' and ')
}

/** The session of this token for the process: opened once, shared by every key on it. */
export async function openToken(modulePath: string, selector: TokenSelector): Promise<TokenSession> {
  const module = await openModule(modulePath)
  const token = selectToken(module, selector)
  const id = `${module.path}\0${token.slotId}`
  let session = sessions.get(id)
  if (session === undefined) {
    session = Promise.resolve().then(() => {
      try {
        return new TokenSession(module, token, module.api.C_OpenSession(token.slot, CK.CKF_SERIAL_SESSION))
      } catch (error) {
        throw tokenFailure(error, describeToken(token), 'C_OpenSession')
      }
    })
    const pending = session
    pending.catch(() => sessions.get(id) === pending && sessions.delete(id))
    sessions.set(id, session)
  }

  return session
}

export function describeToken(token: TokenDescription): string {
  return `token ${JSON.stringify(token.label)} (slot-id ${token.slotId})`
}

/** A PIN when one is known, undefined for a token with a PIN pad (protected authentication path). */
export type PinSource = () => Promise<Buffer | undefined>

export class TokenSession {
  /** Operations on the session, one at a time. */
  private tail: Promise<unknown> = Promise.resolve()
  /** The one login of this run, failed or not: a wrong PIN is not tried twice (tokens lock). */
  private login?: Promise<void>
  private loginDone = false

  constructor(
    readonly module: Pkcs11Module,
    readonly token: TokenDescription,
    readonly handle: Handle,
  ) {}

  get api(): Pkcs11Api {
    return this.module.api
  }

  get where(): string {
    return describeToken(this.token)
  }

  /** Whether this run logged in to the token. */
  get loggedIn(): boolean {
    return this.loginDone
  }

  /** Runs work when the operations before it are done. */
  run<T>(work: (api: Pkcs11Api, session: Handle) => T | Promise<T>): Promise<T> {
    const result = this.tail.then(() => work(this.api, this.handle))
    this.tail = result.catch(() => {})
    return result
  }

  /**
   * Logs in once: when the token requires it, or when a PIN was given anyway. A PIN the token
   * refused is not offered again; a PIN that could not be had (no source, an unreadable file) may
   * come from another key's source later.
   */
  logIn(pin: PinSource, pinGiven: boolean): Promise<void> {
    if (this.login !== undefined) return this.login
    const flags = this.currentFlags()
    if ((flags & CK.CKF_LOGIN_REQUIRED) === 0 && !pinGiven) return Promise.resolve()
    const attempt = {tried: false}
    const login = this.performLogin(pin, flags, attempt)
    this.login = login
    login.catch(() => {
      if (!attempt.tried && this.login === login) this.login = undefined
    })
    return login
  }

  private currentFlags(): number {
    try {
      return this.api.C_GetTokenInfo(this.token.slot).flags
    } catch (error) {
      throw tokenFailure(error, this.where, 'C_GetTokenInfo')
    }
  }

  private async performLogin(source: PinSource, flags: number, attempt: {tried: boolean}): Promise<void> {
    // A locked PIN is refused before a try: the token would only count another failure.
    if ((flags & CK.CKF_USER_PIN_LOCKED) !== 0) {
      throw tokenFailure(new Error('CKR_PIN_LOCKED'), this.where, 'C_Login')
    }

    if ((flags & CK.CKF_USER_PIN_INITIALIZED) === 0) {
      throw tokenFailure(new Error('CKR_USER_PIN_NOT_INITIALIZED'), this.where, 'C_Login')
    }

    const pin = await source()
    await this.run((api, session) => {
      attempt.tried = true
      try {
        api.C_Login(session, CK.CKU_USER, pin?.toString('utf8'))
      } catch (error) {
        if (returnValue(error) !== 'CKR_USER_ALREADY_LOGGED_IN') throw tokenFailure(error, this.where, 'C_Login')
      }
    })
    this.loginDone = true
  }
}

/** Test-only: close every session and module of this process. */
export async function closeTokens(): Promise<void> {
  const opened = await Promise.allSettled([...sessions.values()])
  sessions.clear()
  for (const result of opened) {
    if (result.status === 'fulfilled') await result.value.run((api, session) => api.C_CloseSession(session)).catch(() => {})
  }

  const loaded = await Promise.allSettled([...modules.values()])
  modules.clear()
  for (const result of loaded) {
    if (result.status !== 'fulfilled') continue
    try {
      result.value.api.C_Finalize()
      result.value.api.close()
    } catch {
      // already finalized
    }
  }
}

/** A slot handle (a little-endian CK_ULONG) as the decimal number URIs use. */
export function slotIdOf(slot: Handle): bigint {
  return slot.length >= 8 ? slot.readBigUInt64LE(0) : BigInt(slot.readUInt32LE(0))
}

/** CK_TOKEN_INFO strings are blank-padded to a fixed width. */
function padded(text: string): string {
  return text.replace(/[\s\0]+$/, '')
}
