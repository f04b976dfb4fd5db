import {existsSync, readFileSync, statSync} from 'node:fs'

import {Flags} from '@oclif/core'

import {PluginError} from '../errors.js'
import {loadSigner, passwordSource} from '../keys/index.js'
import {type KeylessSigning, keySigning, type Signing} from '../signer/signing-method.js'

// `sign`'s flags for keyless signing and the transparency log, and what they become. In `--report`
// mode cosign.toml says all of this per config; only `--identity-token` applies there too.

export const keylessFlags = {
  keyless: Flags.boolean({
    summary: 'Sign keyless instead of with --key: an OIDC identity token buys a short-lived Fulcio certificate; every signature is logged in Rekor.',
    exclusive: ['report', 'key', 'password-file'],
  }),
  'identity-token': Flags.string({
    summary: "OIDC identity token for keyless signing, or a file holding it (default: SIGSTORE_ID_TOKEN, else GitHub Actions' token). Also for keyless configs with --report.",
    helpValue: 'TOKEN|FILE',
  }),
  'fulcio-url': Flags.string({summary: 'Fulcio, with --keyless (default: https://fulcio.sigstore.dev).', helpValue: 'URL', exclusive: ['report']}),
  'rekor-url': Flags.string({summary: 'Rekor, with --keyless or --tlog-upload (default: https://rekor.sigstore.dev).', helpValue: 'URL', exclusive: ['report']}),
  'tsa-url': Flags.string({summary: 'RFC 3161 timestamp authority to timestamp each signature with (default: none).', helpValue: 'URL', exclusive: ['report']}),
  'tlog-upload': Flags.boolean({
    summary: "With --key: also log each signature in Rekor (default off: on the public Rekor, the image's name becomes public).",
    exclusive: ['report', 'keyless'],
  }),
}

export interface SigningFlags {
  key?: string
  'password-file'?: string
  keyless?: boolean
  'identity-token'?: string
  'fulcio-url'?: string
  'rekor-url'?: string
  'tsa-url'?: string
  'tlog-upload': boolean
}

/**
 * The way `sign IMAGE...` signs, checked before the network is touched (a missing identity token
 * fails here); `start` loads the key or obtains the Fulcio certificate, to run while images resolve.
 */
export async function signingFromFlags(flags: SigningFlags): Promise<{keyless?: KeylessSigning; start: () => Promise<Signing>}> {
  // oclif leaves an unset boolean flag undefined, not false.
  if (Boolean(flags.keyless) === Boolean(flags.key)) {
    const what = flags.key ? 'both --key and --keyless were given; choose one' : 'neither --key nor --keyless was given'
    throw new PluginError('USAGE', `sign IMAGE... signs with --key FILE or with --keyless: ${what} (or sign a build with --report and --cosign-config)`)
  }

  if (flags['fulcio-url'] !== undefined && !flags.keyless) throw new PluginError('USAGE', '--fulcio-url is used with --keyless')
  if (flags['rekor-url'] !== undefined && !flags.keyless && !flags['tlog-upload']) {
    throw new PluginError('USAGE', '--rekor-url is used with --keyless or --tlog-upload')
  }

  if (flags['identity-token'] !== undefined && !flags.keyless) {
    throw new PluginError('USAGE', '--identity-token is used with --keyless (or with --report, for keyless configs)')
  }

  const method = {
    keyless: Boolean(flags.keyless),
    tlogUpload: flags['tlog-upload'],
    fulcioUrl: serviceUrl(flags['fulcio-url'], '--fulcio-url'),
    rekorUrl: serviceUrl(flags['rekor-url'], '--rekor-url'),
    tsaUrl: serviceUrl(flags['tsa-url'], '--tsa-url'),
  }
  if (flags.keyless) {
    const [{identityToken}, {keylessSigning}] = await Promise.all([import('../keyless/identity-token.js'), import('../signer/keyless-signing.js')])
    const keyless = keylessSigning(identityToken({identityToken: readIdentityToken(flags['identity-token'])}), method)
    return {keyless, start: () => keyless.witnessing.certificate().then(() => keyless)}
  }

  // The key's scrypt (~0.2 s) runs on the thread pool while the images resolve.
  return {start: () => loadSigner(flags.key!, passwordSource({passwordFile: flags['password-file']})).then((signer) => keySigning(signer, method))}
}

/** Like cosign: the token itself, or the path of a file that holds it. Never echoed. */
export function readIdentityToken(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  const looksLikeJwt = /^[\w-]+\.[\w-]+\.[\w-]*$/.test(value.trim())
  if (!looksLikeJwt && existsSync(value) && statSync(value).isFile()) {
    try {
      return readFileSync(value, 'utf8').trim()
    } catch {
      throw new PluginError('USAGE', `--identity-token: cannot read the file ${value}`)
    }
  }

  return value
}

function serviceUrl(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined
  let url: URL | undefined
  try {
    url = new URL(value)
  } catch {
    url = undefined
  }

  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) throw new PluginError('USAGE', `${flag} ${JSON.stringify(value)} is not an http(s) URL`)
  return value
}
