/** PKCS#11 return values (CKR_…) as the one-line PluginErrors of the key class (exit 3). */
import {type ErrorCode, messageOf, PluginError} from '../../errors.js'

/** The CKR_… name pkcs11js puts in a failed call's message, if it is one. */
export function returnValue(error: unknown): string | undefined {
  return /\b(CKR_[A-Z0-9_]+)\b/.exec(error instanceof Error ? error.message : '')?.[1]
}

const CODES: Record<string, ErrorCode> = {
  CKR_PIN_INCORRECT: 'KEY_PASSWORD',
  CKR_PIN_INVALID: 'KEY_PASSWORD',
  CKR_PIN_LEN_RANGE: 'KEY_PASSWORD',
  CKR_PIN_EXPIRED: 'KEY_PASSWORD',
  CKR_PIN_LOCKED: 'KEY_PASSWORD',
  CKR_USER_PIN_NOT_INITIALIZED: 'KEY_PASSWORD',
  CKR_TOKEN_NOT_PRESENT: 'KEY_NOT_FOUND',
  CKR_TOKEN_NOT_RECOGNIZED: 'KEY_NOT_FOUND',
  CKR_DEVICE_REMOVED: 'KEY_NOT_FOUND',
  CKR_SLOT_ID_INVALID: 'KEY_NOT_FOUND',
}

const EXPLAINED: Record<string, string> = {
  CKR_PIN_INCORRECT: 'wrong PIN',
  CKR_PIN_LEN_RANGE: 'wrong PIN (its length is out of the range the token accepts)',
  CKR_PIN_INVALID: 'the PIN has characters the token does not accept',
  CKR_PIN_EXPIRED: 'the PIN has expired; change it first',
  CKR_PIN_LOCKED: 'the user PIN is locked after too many wrong tries; unlock it with the SO PIN (e.g. pkcs11-tool --login --login-type so --init-pin)',
  CKR_USER_PIN_NOT_INITIALIZED: 'no user PIN is set on the token; set one with the SO PIN (e.g. pkcs11-tool --login --login-type so --init-pin)',
  CKR_TOKEN_NOT_PRESENT: 'the token is not present',
  CKR_DEVICE_REMOVED: 'the token was removed',
  CKR_SLOT_ID_INVALID: 'no such slot',
}

/** A failed PKCS#11 call: `where` names the token (never a PIN), `doing` the operation. */
export function tokenFailure(error: unknown, where: string, doing: string): PluginError {
  if (error instanceof PluginError) return error
  const ckr = returnValue(error)
  if (ckr === undefined) return new PluginError('KEY_INVALID', `${where}: ${doing} failed: ${messageOf(error).split('\n')[0]}`, {cause: error})
  const reason = EXPLAINED[ckr] ? `${EXPLAINED[ckr]} (${ckr})` : `${doing} failed with ${ckr}`
  return new PluginError(CODES[ckr] ?? 'KEY_INVALID', `${where}: ${reason}`, {cause: error})
}
