/**
 * PKCS#11 URIs (RFC 7512) as cosign takes them for `--key`: `pkcs11:token=…;slot-id=…;object=…;
 * id=…?module-path=…&pin-value=…`. Values are percent-decoded; the PIN never appears in a message
 * (`displayUri` drops it). Nothing here loads the binding: parsing a URI costs nothing.
 */
import {isAbsolute} from 'node:path'

import {PluginError} from '../../errors.js'

export const PKCS11_SCHEME = 'pkcs11:'

export interface Pkcs11Uri {
  /** Token label (CK_TOKEN_INFO `label`). */
  readonly token?: string
  readonly manufacturer?: string
  readonly model?: string
  readonly serial?: string
  /** Decimal slot id, as cosign and `pkcs11 list-tokens` print it. */
  readonly slotId?: bigint
  /** CKA_LABEL of the key. */
  readonly object?: string
  /** CKA_ID of the key, the bytes percent-decoded. */
  readonly id?: Buffer
  /** `private` or `public` when given; the key pair is used either way. */
  readonly type?: string
  /** Absolute path of the module (module-path, else COSIGN_PKCS11_MODULE_PATH as in cosign). */
  readonly modulePath: string
  readonly pinValue?: string
  /** A file holding the PIN: `file:///path`, `file:/path` or a path. */
  readonly pinSource?: string
  /** The URI as given without pin-value: what messages show. */
  readonly display: string
}

const PATH_ATTRIBUTES = ['token', 'manufacturer', 'model', 'serial', 'slot-id', 'object', 'id', 'type'] as const
const QUERY_ATTRIBUTES = ['module-path', 'pin-value', 'pin-source'] as const
const KEY_TYPES = new Set(['private', 'public'])

export function isPkcs11Uri(value: string): boolean {
  return value.toLowerCase().startsWith(PKCS11_SCHEME)
}

/**
 * The URI without its pin-value (even a URI that does not parse): safe to print. Of the query only
 * module-path, module-name and pin-source are kept: a PIN with an unescaped `&` or `;` would
 * otherwise leave its tail behind as an attribute of its own.
 */
export function displayUri(value: string): string {
  if (!isPkcs11Uri(value)) return value
  const query = value.indexOf('?')
  if (query === -1) return value
  const kept = value
    .slice(query + 1)
    .split(/[&;]/)
    .filter((part) => SHOWN_QUERY.test(part))
  return kept.length === 0 ? value.slice(0, query) : `${value.slice(0, query)}?${kept.join('&')}`
}

const SHOWN_QUERY = /^(module-path|module-name|pin-source)=/i
/** RFC 7512 query attributes we do not take, named in the message (anything else is not quoted: it may be part of a PIN). */
const OTHER_RFC_QUERY = new Set(['module-name'])

export function parsePkcs11Uri(value: string, env: Readonly<Record<string, string | undefined>> = process.env): Pkcs11Uri {
  const display = displayUri(value)
  const invalid = (what: string) => new PluginError('KEY_INVALID', `invalid PKCS#11 URI ${display}: ${what}`)
  if (!isPkcs11Uri(value)) throw invalid('it does not start with pkcs11:')
  const rest = value.slice(PKCS11_SCHEME.length)
  const queryAt = rest.indexOf('?')
  const path = attributes(queryAt === -1 ? rest : rest.slice(0, queryAt), /;/, PATH_ATTRIBUTES, 'path', invalid)
  const query = attributes(queryAt === -1 ? '' : rest.slice(queryAt + 1), /[&;]/, QUERY_ATTRIBUTES, 'query', invalid)
  const text = (map: Map<string, Buffer>, name: string) => {
    const bytes = map.get(name)
    if (bytes === undefined) return undefined
    const decoded = bytes.toString('utf8')
    if (!Buffer.from(decoded, 'utf8').equals(bytes)) throw invalid(`${name} is not UTF-8 text`)
    return decoded
  }

  const slotText = text(path, 'slot-id')
  if (slotText !== undefined && !/^\d{1,20}$/.test(slotText)) throw invalid(`slot-id ${JSON.stringify(slotText)} is not a number`)
  const token = text(path, 'token')
  if (token === undefined && slotText === undefined) throw invalid('name the token with token=LABEL or slot-id=N')
  const object = text(path, 'object')
  const id = path.get('id')
  if (object === undefined && id === undefined) throw invalid('name the key with object=LABEL or id=ID')
  if (id !== undefined && id.length === 0) throw invalid('id is empty')
  const type = text(path, 'type')
  if (type !== undefined && !KEY_TYPES.has(type)) throw invalid(`type=${type} names no key; a key is type=private or type=public`)

  const modulePath = text(query, 'module-path') ?? env.COSIGN_PKCS11_MODULE_PATH
  if (modulePath === undefined || modulePath === '') {
    throw invalid('module-path is missing: add ?module-path=/path/to/module.so (or set COSIGN_PKCS11_MODULE_PATH)')
  }

  if (!isAbsolute(modulePath)) throw invalid(`module-path ${modulePath} is not an absolute path`)
  const pinValue = text(query, 'pin-value')
  const pinSource = text(query, 'pin-source')
  if (pinValue !== undefined && pinSource !== undefined) throw invalid('give the PIN with pin-value or pin-source, not both')
  return {
    ...(token === undefined ? {} : {token}),
    ...optional('manufacturer', text(path, 'manufacturer')),
    ...optional('model', text(path, 'model')),
    ...optional('serial', text(path, 'serial')),
    ...(slotText === undefined ? {} : {slotId: BigInt(slotText)}),
    ...(object === undefined ? {} : {object}),
    ...(id === undefined ? {} : {id}),
    ...(type === undefined ? {} : {type}),
    modulePath,
    ...(pinValue === undefined ? {} : {pinValue}),
    ...(pinSource === undefined ? {} : {pinSource}),
    display,
  }
}

/**
 * A key's URI as `pkcs11 list-keys` prints it and cosign's `pkcs11-tool list-keys-uris` builds it:
 * token, slot-id, id (every byte percent-encoded), object, then module-path. Never a PIN.
 */
export function formatPkcs11Uri(parts: {token?: string; slotId?: bigint; id?: Buffer; object?: string; modulePath: string}): string {
  const path: string[] = []
  if (parts.token) path.push(`token=${encode(parts.token, PATH_CHARS)}`)
  if (parts.slotId !== undefined) path.push(`slot-id=${parts.slotId}`)
  if (parts.id && parts.id.length > 0) path.push(`id=${[...parts.id].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')}`)
  if (parts.object) path.push(`object=${encode(parts.object, PATH_CHARS)}`)
  return `${PKCS11_SCHEME}${path.join(';')}?module-path=${encode(parts.modulePath, QUERY_CHARS)}`
}

// RFC 7512's pk11-pchar and pk11-qchar (unreserved, and the sub-delims each part allows).
const PATH_CHARS = /[A-Za-z0-9\-._~:[\]@!$'()*+,=&]/
const QUERY_CHARS = /[A-Za-z0-9\-._~:[\]@!$'()*+,=/?|]/

function encode(value: string, allowed: RegExp): string {
  let out = ''
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCodePoint(byte)
    out += byte < 0x80 && allowed.test(char) ? char : `%${byte.toString(16).padStart(2, '0')}`
  }

  return out
}

function attributes(
  text: string,
  separator: RegExp,
  known: readonly string[],
  part: 'path' | 'query',
  invalid: (what: string) => PluginError,
): Map<string, Buffer> {
  const found = new Map<string, Buffer>()
  for (const attribute of text.split(separator)) {
    if (attribute === '') continue
    const equals = attribute.indexOf('=')
    const name = (equals === -1 ? attribute : attribute.slice(0, equals)).toLowerCase()
    // In the query, text that is no attribute we know may be the tail of a PIN with an unescaped
    // & or ;: it is never quoted, and neither is the PIN.
    const nameable = part === 'path' || known.includes(name) || OTHER_RFC_QUERY.has(name)
    const shown = !nameable ? 'an attribute' : name === 'pin-value' ? 'pin-value' : attribute
    if (equals === -1) {
      throw invalid(nameable ? `${shown} has no value (expected ${name}=…)` : 'the query has a part without a value (write & and ; inside a value as %26 and %3B)')
    }

    if (!known.includes(name)) {
      throw invalid(`unsupported ${part} attribute ${nameable ? name : '(not quoted: it may be part of a PIN)'}; supported: ${known.join(', ')}`)
    }

    if (found.has(name)) throw invalid(`${name} is given twice`)
    found.set(name, percentDecode(attribute.slice(equals + 1), () => invalid(`${shown} has a malformed %-escape`)))
  }

  return found
}

function percentDecode(value: string, malformed: () => PluginError): Buffer {
  const parts: Buffer[] = []
  for (const [piece, hex] of value.matchAll(/%([\dA-Fa-f]{2})|%|[^%]+/g)) {
    if (hex !== undefined) parts.push(Buffer.of(Number.parseInt(hex, 16)))
    else if (piece === '%') throw malformed()
    else parts.push(Buffer.from(piece, 'utf8'))
  }

  return Buffer.concat(parts)
}

function optional<K extends string>(name: K, value: string | undefined): {[P in K]?: string} {
  return (value === undefined ? {} : {[name]: value}) as {[P in K]?: string}
}
