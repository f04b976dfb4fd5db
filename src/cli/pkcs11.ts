import {PluginError} from '../errors.js'
import {passwordSource} from '../keys/index.js'
import type {KeyListing, TokenListing} from '../keys/pkcs11/index.js'

// `pkcs11 list-tokens` and `pkcs11 list-keys`: what a module's tokens hold, printed the way
// cosign's `pkcs11-tool list-tokens` and `list-keys-uris` print it. The PKCS#11 code (and its
// native binding) is imported here on demand, not through keys/index.ts: no other command loads it.

export interface ListOutput {
  log(line: string): void
}

export async function listTokensFromFlags(flags: {'module-path': string}, out: ListOutput): Promise<TokenListing[]> {
  const {listTokens} = await import('../keys/pkcs11/index.js')
  const tokens = await listTokens(flags['module-path'])
  out.log(`Listing tokens of PKCS11 module '${flags['module-path']}'`)
  for (const token of tokens) {
    out.log(`Token in slot ${token.slotId}${token.initialized ? '' : ' (not initialized)'}`)
    out.log(`\tLabel: ${token.label}`)
    out.log(`\tManufacturer: ${token.manufacturer}`)
    out.log(`\tModel: ${token.model}`)
    out.log(`\tS/N: ${token.serial}`)
  }

  return tokens
}

export interface ListKeysFlags {
  'module-path': string
  'slot-id'?: string
  token?: string
  'password-file'?: string
}

export async function listKeysFromFlags(flags: ListKeysFlags, out: ListOutput): Promise<KeyListing[]> {
  if ((flags['slot-id'] === undefined) === (flags.token === undefined)) {
    throw new PluginError('USAGE', 'name the token with --slot-id N or --token LABEL (one of them; `pkcs11 list-tokens` shows both)')
  }

  if (flags['slot-id'] !== undefined && !/^\d{1,20}$/.test(flags['slot-id'])) {
    throw new PluginError('USAGE', `--slot-id ${JSON.stringify(flags['slot-id'])} is not a slot id (a whole number, as list-tokens prints it)`)
  }

  const {listKeys} = await import('../keys/pkcs11/index.js')
  const keys = await listKeys(flags['module-path'], {
    ...(flags['slot-id'] === undefined ? {} : {slotId: BigInt(flags['slot-id'])}),
    ...(flags.token === undefined ? {} : {token: flags.token}),
    password: passwordSource({passwordFile: flags['password-file']}),
  })
  const where = flags['slot-id'] === undefined ? `token '${flags.token}'` : `slot '${flags['slot-id']}'`
  out.log(`Listing URIs of keys in ${where} of PKCS11 module '${flags['module-path']}'`)
  for (const [index, key] of keys.entries()) {
    out.log(`Object ${index}`)
    out.log(`\tLabel: ${key.label}`)
    out.log(`\tID: ${key.id}`)
    out.log(`\tType: ${key.type}${key.supported ? '' : ` (cannot sign here: ${key.problem})`}`)
    out.log(`\tURI: ${key.uri}`)
  }

  return keys
}
