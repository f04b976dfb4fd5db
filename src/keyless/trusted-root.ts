import {readFile} from 'node:fs/promises'

import {TrustedRoot} from '@sigstore/protobuf-specs'
import {toTrustMaterial} from '@sigstore/verify'

import {messageOf, PluginError} from '../errors.js'

// A Sigstore trusted root file (`--trusted-root`, cosign's flag of the same name): the Fulcio CAs,
// Rekor and CT log keys and TSAs that verification trusts. Read once, checked by building the
// trust material from it, so a bad file fails before any signature is looked at.

export type {TrustedRoot}

const MEDIA_TYPE = /^application\/vnd\.dev\.sigstore\.trustedroot(\+json;version=0\.1|\.v0\.\d+\+json)$/

export async function loadTrustedRoot(path: string): Promise<TrustedRoot> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    // A flag naming a file that is not there is a usage error, as a missing cosign.toml is (exit 2):
    // nothing about keys or services is wrong yet.
    throw new PluginError('USAGE', `${unreadable(path, (error as NodeJS.ErrnoException).code)}: pass the path of a Sigstore trusted root JSON file (for public Sigstore, the trusted_root.json target of tuf-repo-cdn.sigstore.dev; for a private instance, the one it publishes)`, {cause: error})
  }

  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    // The parser's message quotes the input: never echoed (it may be binary junk).
    throw new PluginError('KEY_INVALID', `the trusted root ${path} is not JSON (${text.length} characters): pass a Sigstore trusted root JSON file (trusted_root.json, mediaType application/vnd.dev.sigstore.trustedroot+json;version=0.1)`, {cause: error})
  }

  return parseTrustedRoot(json, `the trusted root ${path}`)
}

/** What is wrong with reading the file, in words rather than errno text. */
function unreadable(path: string, code: string | undefined): string {
  const why: Record<string, string> = {ENOENT: 'does not exist', EACCES: 'is not readable (permission denied)', EISDIR: 'is a directory, not a file', ENOTDIR: 'is not a file (a part of its path is not a directory)'}
  return `--trusted-root ${path} ${why[code ?? ''] ?? `cannot be read (${code ?? 'unknown error'})`}`
}

export function parseTrustedRoot(json: unknown, source: string): TrustedRoot {
  const mediaType = (json as {mediaType?: unknown} | null)?.mediaType
  if (typeof mediaType !== 'string' || !MEDIA_TYPE.test(mediaType)) {
    throw new PluginError(
      'KEY_INVALID',
      `${source} is not a Sigstore trusted root (mediaType ${JSON.stringify(mediaType)?.slice(0, 80)}, expected application/vnd.dev.sigstore.trustedroot+json;version=0.1)`,
    )
  }

  try {
    const root = TrustedRoot.fromJSON(json)
    toTrustMaterial(root)
    return root
  } catch (error) {
    throw new PluginError('KEY_INVALID', `${source} holds a key or certificate that does not parse: ${messageOf(error)}`, {cause: error})
  }
}
