import {readFile} from 'node:fs/promises'

import {TrustedRoot} from '@sigstore/protobuf-specs'
import {toTrustMaterial} from '@sigstore/verify'

import {messageOf, PluginError} from '../errors.js'

/**
 * A Sigstore trusted root file (`--trusted-root`, cosign's flag of the same name): the Fulcio CAs,
 * Rekor and CT log keys and TSAs that verification trusts. Read once, checked by building the
 * trust material from it, so a bad file fails before any signature is looked at.
 */
export type {TrustedRoot}

const MEDIA_TYPE = /^application\/vnd\.dev\.sigstore\.trustedroot(\+json;version=0\.1|\.v0\.\d+\+json)$/

export async function loadTrustedRoot(path: string): Promise<TrustedRoot> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'
    throw new PluginError(missing ? 'KEY_NOT_FOUND' : 'KEY_INVALID', `cannot read the trusted root ${path}: ${messageOf(error)}`, {cause: error})
  }

  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new PluginError('KEY_INVALID', `the trusted root ${path} is not JSON: ${messageOf(error)}`, {cause: error})
  }

  return parseTrustedRoot(json, `the trusted root ${path}`)
}

export function parseTrustedRoot(json: unknown, source: string): TrustedRoot {
  const mediaType = (json as {mediaType?: unknown} | null)?.mediaType
  if (typeof mediaType !== 'string' || !MEDIA_TYPE.test(mediaType)) {
    throw new PluginError(
      'KEY_INVALID',
      `${source} is not a Sigstore trusted root (mediaType ${JSON.stringify(mediaType)}, expected application/vnd.dev.sigstore.trustedroot+json;version=0.1)`,
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
