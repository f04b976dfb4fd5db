/**
 * `sign IMAGE... --key FILE`: the bin starts the key's scrypt (~0.25 s on the thread pool) before
 * oclif loads (~0.2 s on the main thread), so the two overlap instead of adding up. The command
 * decrypts as always and finds the derivation under way (deriveKey shares it). Anything unusual —
 * no password without a prompt, an unreadable or plain key — is left to the command, which
 * reports it; nothing here prints or throws.
 */
import {readFileSync} from 'node:fs'

import {deriveKey, ENCRYPTED_KEY_LABELS, parseEncryptedKey} from './encrypted-format.js'
import {withoutTrailingNewline} from './password.js'
import {decodePemBlocks} from './pem.js'

export function prefetchKeyDerivation(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): void {
  if (argv[0] !== 'sign') return
  const keyFile = flagValue(argv, '--key')
  if (keyFile === undefined) return
  try {
    const passwordFile = flagValue(argv, '--password-file')
    const password = passwordFile === undefined ? env.COSIGN_PASSWORD : withoutTrailingNewline(readFileSync(passwordFile))
    if (password === undefined) return
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
