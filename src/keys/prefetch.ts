/**
 * `sign IMAGE... --key FILE`: the bin starts the key's scrypt (~0.25 s on the thread pool) before
 * oclif loads (~0.2 s on the main thread), so the two overlap instead of adding up. The command
 * decrypts as always and finds the derivation under way (deriveKey shares it). Anything unusual —
 * no password without a prompt, an unreadable or plain key — is left to the command, which
 * reports it; nothing here prints or throws. A `pkcs11:` key has no scrypt: it is skipped (its
 * URI is no path to read).
 */
import {readFileSync, statSync} from 'node:fs'
import {dirname, isAbsolute, resolve} from 'node:path'

import {MAX_CONFIG_FILE_BYTES, MAX_PASSWORD_BYTES} from '../util/input-limits.js'
import {deriveKey, ENCRYPTED_KEY_LABELS, parseEncryptedKey} from './encrypted-format.js'
import {withoutTrailingNewline} from './password.js'
import {decodePemBlocks} from './pem.js'
import {isPkcs11Uri} from './pkcs11/uri.js'

export function prefetchKeyDerivation(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): void {
  if (argv[0] !== 'sign') return
  const keyFile = flagValue(argv, '--key')
  if (keyFile === undefined || isPkcs11Uri(keyFile)) return
  const passwordFile = flagValue(argv, '--password-file')
  derive(keyFile, passwordFile, env)
}

/**
 * `sign --report R --cosign-config C`: the same for every key of cosign.toml, all at once (one
 * scrypt each on the thread pool). Paths resolve as the config reader resolves them.
 */
export async function prefetchConfigKeys(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Promise<void> {
  if (argv[0] !== 'sign') return
  const file = flagValue(argv, '--cosign-config')
  if (file === undefined) return
  try {
    // A cosign.toml over the limit is not a signer config; the command says so.
    if (statSync(file).size > MAX_CONFIG_FILE_BYTES) return
    const {parse} = await import('@iarna/toml')
    const configs = (parse(readFileSync(file, 'utf8')) as {configs?: unknown}).configs
    if (!Array.isArray(configs)) return
    const at = (path: unknown) => (typeof path === 'string' ? (isAbsolute(path) ? path : resolve(dirname(file), path)) : undefined)
    for (const config of configs as {key?: unknown; password?: unknown; keyless?: unknown}[]) {
      if (typeof config?.key === 'string' && isPkcs11Uri(config.key)) continue
      const key = at(config?.key)
      if (key !== undefined && config.keyless !== true) derive(key, at(config.password), env)
    }
  } catch {
    // The command reads the same files and says what is wrong.
  }
}

function derive(keyFile: string, passwordFile: string | undefined, env: Readonly<Record<string, string | undefined>>): void {
  try {
    // An oversized password is the command's to refuse; a pipe (--password-file <(…)) can be read
    // only once, so the command keeps it.
    if (passwordFile !== undefined) {
      const stat = statSync(passwordFile)
      if (!stat.isFile() || stat.size > MAX_PASSWORD_BYTES + 2) return
    }

    const password = passwordFile === undefined ? env.COSIGN_PASSWORD : withoutTrailingNewline(readFileSync(passwordFile))
    if (password === undefined || Buffer.byteLength(password) > MAX_PASSWORD_BYTES) return
    const block = decodePemBlocks(readFileSync(keyFile, 'utf8'), keyFile).find((b) => ENCRYPTED_KEY_LABELS.includes(b.label))
    if (block === undefined || block.hasHeaders) return
    const key = parseEncryptedKey(block.der, keyFile)
    deriveKey(Buffer.from(password), key.salt, key.scrypt).catch(() => {})
  } catch {
    // The command reads the same files and says what is wrong.
  }
}

/** `--flag value` or `--flag=value`, the last one as oclif takes it; nothing after `--`. */
export function flagValue(argv: readonly string[], flag: string): string | undefined {
  let value: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') break
    if (arg === flag && i + 1 < argv.length) value = argv[++i]
    else if (arg.startsWith(`${flag}=`)) value = arg.slice(flag.length + 1)
  }

  return value
}
