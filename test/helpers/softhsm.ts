import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

/**
 * A SoftHSM2 software token store in a temp folder (its own softhsm2.conf, passed as SOFTHSM2_CONF
 * to our CLI and to the tools), tokens made with softhsm2-util and keys with OpenSC's pkcs11-tool,
 * as an HSM's administrator would. Debian's softhsm2 and opensc are installed by
 * test/setup/deps.sh; their absence fails the test.
 */
export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so'

export interface SoftHsmToken {
  label: string
  pin: string
  /** Decimal, as URIs and list-tokens have it. */
  slotId: string
}

export interface SoftHsm {
  dir: string
  /** SOFTHSM2_CONF for every process that opens the store. */
  env: {SOFTHSM2_CONF: string}
  initToken(label: string, pin: string, soPin?: string): SoftHsmToken
  /** `pkcs11-tool --keypairgen`: keyType like EC:prime256v1, EC:secp384r1, rsa:2048. */
  generateKey(token: SoftHsmToken, keyType: string, label: string, id: string): void
  /** Deletes a key pair's public key object (the private key stays). */
  deletePublicKey(token: SoftHsmToken, id: string): void
  /**
   * Sets CKF_USER_PIN_LOCKED in the token's stored flags, which SoftHSM reports from then on: a
   * token whose PIN is locked after too many wrong tries (SoftHSM itself never locks one).
   */
  lockUserPin(token: SoftHsmToken): void
  /** `pkcs11:` URI of a key, PIN left out unless given. */
  uri(token: SoftHsmToken, key: {object?: string; id?: string}, query?: Record<string, string>): string
}

export function createSoftHsm(): SoftHsm {
  for (const tool of ['softhsm2-util', 'pkcs11-tool']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], {stdio: 'ignore'})
    } catch {
      throw new Error(`${tool} not found: run test/setup/deps.sh (it installs softhsm2 and opensc)`)
    }
  }

  if (!existsSync(SOFTHSM_MODULE)) throw new Error(`${SOFTHSM_MODULE} not found: run test/setup/deps.sh`)
  const dir = mkdtempSync(join(tmpdir(), 'softhsm-'))
  mkdirSync(join(dir, 'tokens'))
  const conf = join(dir, 'softhsm2.conf')
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`)
  const env = {SOFTHSM2_CONF: conf}
  const tool = (command: string, args: string[]) => execFileSync(command, args, {env: {...process.env, ...env}, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']})
  const p11 = (token: SoftHsmToken, args: string[]) => tool('pkcs11-tool', ['--module', SOFTHSM_MODULE, '--token-label', token.label, '--login', '--pin', token.pin, ...args])
  const folders = new Map<string, string>()

  return {
    dir,
    env,
    initToken(label, pin, soPin = '5678') {
      const before = new Set(readdirSync(join(dir, 'tokens')))
      const out = tool('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', soPin])
      const slotId = /reassigned to slot (\d+)/.exec(out)?.[1]
      if (!slotId) throw new Error(`softhsm2-util --init-token: no slot in ${out}`)
      const folder = readdirSync(join(dir, 'tokens')).find((name) => !before.has(name))
      if (folder) folders.set(label, folder)
      return {label, pin, slotId}
    },
    generateKey(token, keyType, label, id) {
      p11(token, ['--keypairgen', '--key-type', keyType, '--label', label, '--id', id])
    },
    deletePublicKey(token, id) {
      p11(token, ['--delete-object', '--type', 'pubkey', '--id', id])
    },
    lockUserPin(token) {
      const file = join(dir, 'tokens', folders.get(token.label) ?? '', 'token.object')
      const bytes = readFileSync(file)
      // SoftHSM's object file: per attribute an 8-byte type, an 8-byte kind (2: integer), the value.
      const CKA_OS_TOKENFLAGS = Buffer.from('000000008000534b0000000000000002', 'hex')
      const at = bytes.indexOf(CKA_OS_TOKENFLAGS)
      if (at === -1) throw new Error(`no token flags in ${file}`)
      const value = at + CKA_OS_TOKENFLAGS.length
      bytes.writeBigUInt64BE(bytes.readBigUInt64BE(value) | 0x4_0000n, value)
      writeFileSync(file, bytes)
    },
    uri(token, key, query = {}) {
      const path = [`token=${encodeURIComponent(token.label)}`]
      if (key.id) path.push(`id=${key.id.replaceAll(/(..)/g, '%$1')}`)
      if (key.object) path.push(`object=${encodeURIComponent(key.object)}`)
      const params = Object.entries({'module-path': SOFTHSM_MODULE, ...query}).map(([name, value]) => `${name}=${value}`)
      return `pkcs11:${path.join(';')}?${params.join('&')}`
    },
  }
}
