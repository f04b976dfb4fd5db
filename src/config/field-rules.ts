import {isAbsolute, resolve} from 'node:path'

import {describe, quoteOrDescribe} from './values.js'

/** The result of checking a present value: the value to use, or what is wrong with it. */
export type Checked<T> = {value: T} | {complaint: string}

/**
 * How one key of a table is read. `complaint` is the rest of a sentence whose subject is the key's
 * path: `configs[0].export-sbom` + ` is "sbom"; allowed: none, attestation, attachment`.
 */
export interface FieldRule<T> {
  /** the key as written in the TOML file */
  readonly name: string
  /** when the key is absent: the value to use, or — when it is required — what it is, for the message */
  readonly absent: {value: T} | {required: string}
  /** relative paths resolve against `baseDir`, the folder of the file being read */
  check(value: unknown, baseDir: string): Checked<T>
}

export function flag(name: string, defaultValue: boolean): FieldRule<boolean> {
  return {
    name,
    absent: {value: defaultValue},
    check: (value) => (typeof value === 'boolean' ? {value} : {complaint: `is ${describe(value)}; expected a boolean (true or false)`}),
  }
}

export function oneOf<const V extends string>(name: string, allowed: readonly V[], defaultValue: V): FieldRule<V> {
  return {
    name,
    absent: {value: defaultValue},
    check: (value) =>
      allowed.includes(value as V) ? {value: value as V} : {complaint: `is ${quoteOrDescribe(value)}; allowed: ${allowed.join(', ')}`},
  }
}

/** A non-empty string without whitespace that is not a path (e.g. a repository). */
export function optionalWord(name: string, what: string): FieldRule<string | undefined> {
  return {name, absent: {value: undefined}, check: (value) => word(value, what)}
}

/** A non-empty string (an identity, a regular expression). */
export function optionalText(name: string, what: string): FieldRule<string | undefined> {
  return {
    name,
    absent: {value: undefined},
    check: (value) => (typeof value === 'string' && value !== '' ? {value} : {complaint: `is ${describe(value)}; expected a non-empty string: ${what}`}),
  }
}

/** An http(s) URL of a service (Fulcio, Rekor, a timestamp authority). */
export function optionalUrl(name: string, what: string): FieldRule<string | undefined> {
  return {name, absent: {value: undefined}, check: (value) => url(value, what)}
}

export function optionalPath(name: string, what: string): FieldRule<string | undefined> {
  return {name, absent: {value: undefined}, check: (value, baseDir) => path(value, baseDir, what)}
}

/** A key file's path, or a `pkcs11:` URI (RFC 7512, a key in an HSM or token), which is kept as written. */
export function optionalKey(name: string, what: string): FieldRule<string | undefined> {
  return {
    name,
    absent: {value: undefined},
    check: (value, baseDir) => (typeof value === 'string' && /^pkcs11:/i.test(value) ? {value} : path(value, baseDir, what)),
  }
}

function word(value: unknown, what: string): Checked<string> {
  if (typeof value !== 'string') return {complaint: `is ${describe(value)}; expected a string: ${what}`}
  if (value === '' || /\s/.test(value)) return {complaint: `is ${JSON.stringify(value)}; expected ${what}, without spaces`}
  return {value}
}

function url(value: unknown, what: string): Checked<string> {
  if (typeof value !== 'string') return {complaint: `is ${describe(value)}; expected a string: ${what}`}
  let parsed: URL | undefined
  try {
    parsed = new URL(value)
  } catch {
    parsed = undefined
  }

  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') || /\s/.test(value)) {
    return {complaint: `is ${JSON.stringify(value)}; expected ${what}`}
  }

  return {value}
}

function path(value: unknown, baseDir: string, what: string): Checked<string> {
  if (typeof value !== 'string') return {complaint: `is ${describe(value)}; expected a string: ${what}`}
  if (value === '') return {complaint: `is empty; expected ${what}`}
  return {value: isAbsolute(value) ? value : resolve(baseDir, value)}
}
