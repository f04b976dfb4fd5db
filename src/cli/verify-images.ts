import {type Config} from '@oclif/core'

import {messageOf, PluginError} from '../errors.js'
import {type ImageReference, manifestReference, parseReference, parseRepositoryName, referenceName} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {isIndexMediaType} from '../registry/media-types.js'
import {type ImageIndex} from '../registry/types.js'
import {mapLimit} from '../util/map-limit.js'
import {loadTrust, type VerifiedItem, verifyImage} from '../verify/index.js'
import {parseAnnotationFlags} from './annotations.js'
import {createRegistryClient} from './registry-context.js'

// `verify IMAGE...`: one image as cosign verifies it (its payloads on stdout), or several — and
// with --recursive each platform manifest of an index — verified with bounded concurrency, one
// line per manifest on stderr and one summary.

export interface VerifyFlags {
  key?: string
  'certificate-identity'?: string
  'certificate-identity-regexp'?: string
  'certificate-oidc-issuer'?: string
  'certificate-oidc-issuer-regexp'?: string
  'trusted-root'?: string
  'insecure-ignore-tlog': boolean
  'insecure-ignore-sct': boolean
  annotations?: string[]
  repository?: string
  attestations: boolean
  type?: string
  recursive: boolean
  concurrency: number
  'insecure-registry'?: string[]
  'registry-ca'?: string[]
  'registry-timeout'?: number
}

export interface VerifyOutput {
  stdout(line: string): void
  stderr(line: string): void
  json: boolean
}

/** One manifest's verification, as `--json` prints it when several were asked for. */
export interface ManifestVerification {
  image: string
  digest: string
  ok: boolean
  verified: VerifiedItem[]
  reason?: string
}

export async function verifyImagesFromFlags(config: Config, names: readonly string[], flags: VerifyFlags, out: VerifyOutput): Promise<VerifiedItem[] | ManifestVerification[]> {
  if (names.length === 0) throw new PluginError('USAGE', 'no image to verify: name an IMAGE, or a release with --report and --cosign-config')
  const references = names.map((name) => parseReference(name))
  const annotations = parseAnnotationFlags(flags.annotations)
  if (flags.attestations && Object.keys(annotations).length > 0) throw new PluginError('USAGE', '-a annotations apply to signatures, not with --attestations')
  const repository = flags.repository ? parseRepositoryName(flags.repository) : undefined
  const trust = await loadTrust({
    keyFile: flags.key,
    identity: identityOf(flags),
    trustedRootFile: flags['trusted-root'],
    insecureIgnoreTlog: flags['insecure-ignore-tlog'],
    insecureIgnoreSct: flags['insecure-ignore-sct'],
  })
  const client = createRegistryClient(config, {insecureRegistries: flags['insecure-registry'], registryCaFiles: flags['registry-ca'], timeoutSeconds: flags['registry-timeout']})
  const check = (reference: ImageReference, digest: string) =>
    verifyImage(client, {digest, repository: repository ?? reference.repository, trust, annotations, attestations: flags.attestations, type: flags.type})
  const what = flags.attestations ? 'attestation(s)' : 'signature(s)'
  const summary = (verified: VerifiedItem[], name: string) =>
    `Verified ${verified.length} ${what} on ${name} ${trust.describe} (${['classic', 'bundle'].map((f) => `${verified.filter((v) => v.format === f).length} ${f}`).join(', ')})`

  if (references.length === 1 && !flags.recursive) {
    const reference = references[0]!
    const manifest = await client.getManifest(reference.repository, manifestReference(reference))
    const {verified} = await check(reference, manifest.digest)
    out.stderr(summary(verified, referenceName({...reference, digest: manifest.digest})))
    if (!out.json) out.stdout(JSON.stringify(verified.map((v) => v.payload)))
    return verified
  }

  const subjects = (await mapLimit(references, flags.concurrency, (reference) => manifestsOf(client, reference, flags.recursive))).flat()
  const results = await mapLimit(subjects, flags.concurrency, async ({reference, digest}): Promise<ManifestVerification> => {
    const image = referenceName({...reference, digest})
    try {
      const {verified} = await check(reference, digest)
      out.stderr(`✔ ${summary(verified, image)}`)
      if (!out.json) out.stdout(JSON.stringify(verified.map((v) => v.payload)))
      return {image, digest, ok: true, verified}
    } catch (error) {
      out.stderr(`✖ ${messageOf(error)}`)
      return {image, digest, ok: false, verified: [], reason: messageOf(error)}
    }
  })
  const failed = results.filter((r) => !r.ok)
  const counted = `${references.length} image(s)${subjects.length === references.length ? '' : `, ${subjects.length} manifests`}`
  if (failed.length > 0) {
    throw new PluginError('VERIFY_FAILED', `${failed.length} of ${subjects.length} manifest(s) did not verify (${counted}): ${failed.map((f) => f.image).slice(0, 3).join(', ')}${failed.length > 3 ? ', …' : ''}`, {details: results})
  }

  out.stderr(`Verified ${counted} ${trust.describe}`)
  return results
}

/** The image's digest and, with --recursive, each platform manifest of an index. */
async function manifestsOf(client: RegistryClient, reference: ImageReference, recursive: boolean): Promise<{reference: ImageReference; digest: string}[]> {
  const manifest = await client.getManifest(reference.repository, manifestReference(reference))
  const children = recursive && isIndexMediaType(manifest.mediaType) ? (manifest.json as ImageIndex).manifests.map((m) => m.digest) : []
  const own = {reference, digest: manifest.digest}
  const platform = children.map((digest) => ({reference: {repository: reference.repository, digest}, digest}))
  return [own, ...platform]
}

function identityOf(flags: VerifyFlags): Parameters<typeof loadTrust>[0]['identity'] {
  const given = [flags['certificate-identity'], flags['certificate-identity-regexp'], flags['certificate-oidc-issuer'], flags['certificate-oidc-issuer-regexp']]
  if (given.every((f) => f === undefined)) return undefined
  return {
    certificateIdentity: flags['certificate-identity'],
    certificateIdentityRegexp: flags['certificate-identity-regexp'],
    certificateOidcIssuer: flags['certificate-oidc-issuer'],
    certificateOidcIssuerRegexp: flags['certificate-oidc-issuer-regexp'],
  }
}
