/**
 * Where the password of an encrypted key comes from, in cosign's order: an explicit password
 * file, then COSIGN_PASSWORD (an empty value is an empty password), then a terminal prompt.
 */
import {messageOf, PluginError} from '../errors.js'
import {formatSize, MAX_PASSWORD_BYTES, readFileAtMost} from '../util/input-limits.js'
import {rememberSecret} from '../util/secrets.js'
import {type Prompt, promptHidden} from './prompt.js'

/**
 * Called only once a key turns out to be encrypted (or a token to need its PIN); keyFile names it
 * in the prompt and errors. A PKCS#11 token's PIN comes from the same sources (COSIGN_PKCS11_PIN,
 * as cosign reads it, before COSIGN_PASSWORD).
 */
export type PasswordSource = (keyFile: string, kind?: SecretKind) => Promise<Buffer>

/** A key file's password, or a token's PIN. */
export type SecretKind = 'password' | 'pin'

export interface PasswordOptions {
  /** `--password-file` or cosign.toml `password`. */
  readonly passwordFile?: string
  /** Defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Whether a prompt is possible; defaults to stdin being a TTY. */
  readonly interactive?: boolean
  readonly prompt?: Prompt
}

export function passwordSource(options: PasswordOptions = {}): PasswordSource {
  return async (keyFile, kind = 'password') => {
    const known = await nonInteractivePassword(options, kind)
    if (known !== undefined) return known
    if (!isInteractive(options)) {
      throw new PluginError(
        'KEY_PASSWORD',
        kind === 'pin'
          ? `${keyFile} needs its PIN: add pin-source (or pin-value) to the pkcs11: URI, set COSIGN_PASSWORD, or pass --password-file (cosign.toml: password)`
          : `${keyFile} is encrypted: set COSIGN_PASSWORD or pass --password-file`,
      )
    }

    const question = kind === 'pin' ? `Enter PIN for ${keyFile}: ` : `Enter password for private key ${keyFile}: `
    return remembered(capped(Buffer.from(await (options.prompt ?? promptHidden)(question)), kind === 'pin' ? 'the PIN typed' : 'the password typed'))
  }
}

/** A fixed password, for callers (and tests) that already hold it. */
export function staticPassword(password: Buffer | string): PasswordSource {
  return async () => Buffer.from(password)
}

/** The password for a key about to be written; a prompt asks twice, as cosign does. */
export async function newKeyPassword(keyFile: string, options: PasswordOptions = {}): Promise<Buffer> {
  const known = await nonInteractivePassword(options)
  if (known !== undefined) return known
  if (!isInteractive(options)) {
    throw new PluginError(
      'KEY_PASSWORD',
      `a password is needed to encrypt ${keyFile}: set COSIGN_PASSWORD or pass --password-file`,
    )
  }

  const prompt = options.prompt ?? promptHidden
  const first = await prompt('Enter password for private key: ')
  const second = await prompt('Enter password for private key again: ')
  if (first !== second) throw new PluginError('KEY_PASSWORD', 'passwords do not match')
  return remembered(capped(Buffer.from(first), 'the password typed'))
}

/**
 * File contents with one trailing newline (LF or CRLF) removed, as `echo pw > file` leaves one.
 * At most MAX_PASSWORD_BYTES: nothing past that (and its newline) is read.
 */
export async function readPasswordFile(path: string): Promise<Buffer> {
  let contents: Buffer | undefined
  try {
    contents = await readFileAtMost(path, MAX_PASSWORD_BYTES + 2)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new PluginError('KEY_NOT_FOUND', `password file ${path} not found`, {cause: error})
    }

    throw new PluginError('KEY_PASSWORD', `cannot read password file ${path}: ${messageOf(error)}`, {cause: error})
  }

  return remembered(capped(contents === undefined ? undefined : withoutTrailingNewline(contents), `password file ${path}`))
}

/** A password over MAX_PASSWORD_BYTES (undefined: too large to read) is refused; `what` names its source, never its contents. */
function capped(password: Buffer | undefined, what: string): Buffer {
  if (password !== undefined && password.length <= MAX_PASSWORD_BYTES) return password
  const size = password === undefined ? `more than ${formatSize(MAX_PASSWORD_BYTES)}` : formatSize(password.length)
  const which = what.startsWith('password file') ? 'file' : 'value'
  throw new PluginError('KEY_PASSWORD', `${what} holds ${size}; a key password is at most ${formatSize(MAX_PASSWORD_BYTES)} (one line of text): is it the right ${which}?`)
}

/** A password read: remembered, so that no server text we print can carry it (util/secrets). */
function remembered(password: Buffer): Buffer {
  rememberSecret(password)
  return password
}

export function withoutTrailingNewline(contents: Buffer): Buffer {
  if (contents.at(-1) !== 0x0a) return contents
  return contents.subarray(0, contents.at(-2) === 0x0d ? -2 : -1)
}

async function nonInteractivePassword(options: PasswordOptions, kind: SecretKind = 'password'): Promise<Buffer | undefined> {
  if (options.passwordFile !== undefined) return readPasswordFile(options.passwordFile)
  const env = options.env ?? process.env
  const name = kind === 'pin' && env.COSIGN_PKCS11_PIN !== undefined ? 'COSIGN_PKCS11_PIN' : 'COSIGN_PASSWORD'
  const fromEnv = env[name]
  return fromEnv === undefined ? undefined : remembered(capped(Buffer.from(fromEnv), name))
}

function isInteractive(options: PasswordOptions): boolean {
  return options.interactive ?? process.stdin.isTTY === true
}
