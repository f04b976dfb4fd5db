import {type CosignConfig, type Report, type SigningConfig} from '../config/index.js'
import {PluginError, messageOf} from '../errors.js'
import {cosignTag} from '../formats/tags.js'
import {displayKeyReference, loadSigner, passwordSource, verifierFromPem} from '../keys/index.js'
import {SLSA_PROVENANCE_V1} from '../provenance/predicate.js'
import {manifestReference, referenceName, repositoryName} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {isIndexMediaType} from '../registry/media-types.js'
import {type FetchedManifest, type ImageIndex, type ImageManifest} from '../registry/types.js'
import {type SbomLimits} from '../sbom/index.js'
import {canonicalDigest} from '../util/canonical-json.js'
import {loadTrust, type Trust, type VerifiedItem, verifyImage} from '../verify/index.js'
import {type PlannedConfig, type ReportPlan, type SigningTarget, planReport} from './report-plan.js'
import {attachmentOrder, collectSboms, type SbomSubject} from './sbom-export.js'
import {type Step, type StepRunner, runSteps} from './steps.js'

// `verify --report --cosign-config`: a release checked against the cosign.toml that signed it.
// Every tag must point at the report's digest; for every config, in its repository and format(s):
// a signature carrying the [[annotations]] (on each platform manifest too, with `recursive`),
// every SBOM document attested (or the attachment there), provenance when asked for. Entries by
// other tools or keys are fine: only what the config promises is required.

export interface ReleaseCheckInput {
  report: Report
  cosign: CosignConfig
  client: RegistryClient
  /** A Sigstore trusted root: required for keyless configs, and for key-signed entries with a log entry. */
  trustedRootFile?: string
  /** cosign's --insecure-ignore-tlog: log entries neither required nor checked. */
  insecureIgnoreTlog?: boolean
  concurrency: number
  runSteps?: StepRunner
  sbomLimits?: Partial<SbomLimits>
}

export type CheckKind = 'tag' | 'signature' | 'sbom' | 'attachment' | 'provenance'

export interface ReleaseCheck {
  check: CheckKind
  /** The image as checked: a tag, or `repository@digest`. */
  image: string
  /** Position of the config in cosign.toml; absent for tag checks. */
  config?: number
  format?: 'classic' | 'bundle'
  /** The SBOM document's path in the layer. */
  document?: string
  ok: boolean
  /** Why it failed. */
  reason?: string
}

export interface ReleaseCheckResult {
  image: {digest: string; tags: string[]}
  checks: ReleaseCheck[]
}

interface CheckContext {
  /** With the position of its step, so the result lists checks in a stable order, not as they finished. */
  checks: {order: number; check: ReleaseCheck}[]
  planned: number
  trust: Trust[]
  sboms?: SbomSubject[]
  manifest?: FetchedManifest
}

export async function verifyRelease(request: ReleaseCheckInput): Promise<ReleaseCheckResult> {
  // Configs read the same tags and blobs (two keys share one .sig and .att): each is fetched once.
  const input = {...request, client: sharedReads(request.client)}
  const plan = planReport(input.report, input.cosign, 'verify')
  const ctx: CheckContext = {checks: [], planned: 0, trust: []}
  const exportsSbom = plan.configs.some((c) => c.config.exportSbom !== 'none')
  const steps: Step<CheckContext>[] = [
    {title: 'Load the keys and trusted root', run: async (c) => void (c.trust = await Promise.all(plan.configs.map((p) => trustOf(p, input)))) },
    {title: 'Tags point at the digest', steps: (c) => plan.tags.map((tag) => tagStep(input.client, plan, tag, c.planned++)), concurrency: input.concurrency},
    {title: 'Read the image', run: async (c) => void (c.manifest = await input.client.getManifest(plan.tags[0]!.repository, plan.digest))},
    ...(exportsSbom ? [{title: 'Read the SBOM from the image', run: async (c: CheckContext) => void (c.sboms = (await collectSboms(input.client, plan.tags[0]!.repository, c.manifest!, input.sbomLimits)).subjects)}] : []),
    ...plan.configs.flatMap((planned, i) =>
      planned.targets.map((target) => ({
        title: `${planned.label} in ${repositoryName(target.signatureRepository)}`,
        steps: (c: CheckContext) => configSteps(input.client, plan, planned, target, c.trust[i]!, c),
        concurrency: input.concurrency,
      })),
    ),
  ]
  await (input.runSteps ?? runSteps)(steps, ctx)
  const checks = ctx.checks.sort((x, y) => x.order - y.order).map((c) => c.check)
  const result = {image: {digest: plan.digest, tags: input.report.tags}, checks}
  const failed = checks.filter((c) => !c.ok)
  if (failed.length > 0) {
    const first = failed.slice(0, 3).map(describeFailure).join('; ')
    throw new PluginError('VERIFY_FAILED', `${failed.length} of ${checks.length} checks failed: ${first}${failed.length > 3 ? `; and ${failed.length - 3} more` : ''}`, {details: result})
  }

  return result
}

/** How a failed check reads in the one-line error. */
export function describeFailure(check: ReleaseCheck): string {
  const config = check.config === undefined ? '' : `configs[${check.config}] `
  const what = check.document ? `${check.check} ${check.document}` : check.check
  return `${config}${what}${check.format ? ` (${check.format})` : ''} on ${check.image}: ${check.reason}`
}

/** The key (public-key, else the public half of key) or the keyless identity a config is verified with. */
async function trustOf(planned: PlannedConfig, input: ReleaseCheckInput): Promise<Trust> {
  const config = planned.config
  const where = `${input.cosign.file}: configs[${config.index}]`
  if (config.keyless) {
    if (!(config.certificateIdentity ?? config.certificateIdentityRegexp) || !(config.certificateOidcIssuer ?? config.certificateOidcIssuerRegexp)) {
      throw new PluginError('CONFIG_INVALID', `${where} is keyless: verifying it needs certificate-identity (or certificate-identity-regexp) and certificate-oidc-issuer (or certificate-oidc-issuer-regexp)`)
    }

    return loadTrust({identity: identityOf(config), trustedRootFile: input.trustedRootFile, insecureIgnoreTlog: input.insecureIgnoreTlog})
  }

  if (config.publicKey) return loadTrust({keyFile: config.publicKey, trustedRootFile: input.trustedRootFile, insecureIgnoreTlog: input.insecureIgnoreTlog})
  const signer = await loadSigner(config.key!, passwordSource({passwordFile: config.passwordFile, interactive: false})).catch((error: unknown) => {
    throw new PluginError('KEY_INVALID', `${where} has no public-key, and its key cannot be opened to derive one (${messageOf(error)}); add public-key = "<path to the .pub file>"`)
  })
  return loadTrust({keyFile: config.key, verifier: verifierFromPem(signer.publicKeyPem, displayKeyReference(config.key!)), trustedRootFile: input.trustedRootFile, insecureIgnoreTlog: input.insecureIgnoreTlog})
}

function identityOf(config: SigningConfig) {
  return {
    certificateIdentity: config.certificateIdentity,
    certificateIdentityRegexp: config.certificateIdentityRegexp,
    certificateOidcIssuer: config.certificateOidcIssuer,
    certificateOidcIssuerRegexp: config.certificateOidcIssuerRegexp,
  }
}

function tagStep(client: RegistryClient, plan: ReportPlan, tag: ReportPlan['tags'][number], order: number): Step<CheckContext> {
  const image = referenceName(tag)
  return {
    title: `${image} is ${short(plan.digest)}`,
    run: (c) =>
      record(c, order, {check: 'tag', image}, async () => {
        const manifest = await client.getManifest(tag.repository, manifestReference(tag))
        if (manifest.digest !== plan.digest) throw new Error(`points at ${manifest.digest}, not the report's ${plan.digest}`)
      }),
  }
}

/** One config in one repository: its signatures, SBOM and provenance, each format a check of its own. */
function configSteps(client: RegistryClient, plan: ReportPlan, planned: PlannedConfig, target: SigningTarget, trust: Trust, ctx: CheckContext): Step<CheckContext>[] {
  const config = planned.config
  const formats: ('classic' | 'bundle')[] = config.format === 'both' ? ['classic', 'bundle'] : [config.format]
  const manifest = ctx.manifest!
  const children = config.recursive && isIndexMediaType(manifest.mediaType) ? (manifest.json as ImageIndex).manifests.map((m) => m.digest) : []
  const name = (digest: string) => `${repositoryName(target.imageRepository)}@${digest}`
  const read = (digest: string, attestations: boolean) =>
    verifyImage(client, {digest, repository: target.signatureRepository, trust, annotations: attestations ? {} : plan.annotations, attestations, formats})
  // One read per digest and kind, shared by its checks. None verified at all is no error here:
  // each check says what it missed (a registry failure still fails them, with its own words).
  const verifiedOn = new Map<string, Promise<VerifiedItem[]>>()
  const found = (kind: 's' | 'a', digest: string) =>
    remember(verifiedOn, `${kind}:${digest}`, () => read(digest, kind === 'a').then((r) => r.verified, noneVerified), () => true)
  const steps: Step<CheckContext>[] = []
  const check = (title: string, entry: Omit<ReleaseCheck, 'ok' | 'config'>, test: () => Promise<void>) => {
    const order = ctx.planned++
    steps.push({title, run: (c) => record(c, order, {...entry, config: config.index}, test)})
  }

  for (const digest of [plan.digest, ...children]) {
    for (const format of formats) {
      check(`signature (${format}) on ${name(short(digest))}`, {check: 'signature', image: name(digest), format}, async () => {
        const verified = await found('s', digest)
        if (!verified.some((v) => v.format === format)) throw new Error(`no ${format} signature verifies ${trust.describe}${Object.keys(plan.annotations).length > 0 ? ' with the [[annotations]]' : ''}`)
      })
    }
  }

  for (const subject of config.exportSbom === 'none' ? [] : (ctx.sboms ?? [])) {
    if (config.exportSbom === 'attachment') {
      const expected = attachmentOrder(subject.documents)[0]!
      check(`SBOM attachment on ${name(short(subject.digest))}`, {check: 'attachment', image: name(subject.digest), document: expected.path}, () =>
        checkAttachment(client, target, subject.digest, expected.content),
      )
      continue
    }

    for (const document of subject.documents) {
      for (const format of formats) {
        check(`SBOM ${document.path} attested (${format}) on ${name(short(subject.digest))}`, {check: 'sbom', image: name(subject.digest), document: document.path, format}, async () => {
          const verified = await found('a', subject.digest)
          const want = canonicalDigest(JSON.parse(document.content.toString('utf8')))
          const same = (v: VerifiedItem) => v.format === format && v.predicateType === document.predicateType && predicateDigest(v) === want
          if (!verified.some(same)) throw new Error(`no ${format} attestation of type ${document.predicateType} ${trust.describe} holds this document`)
        })
      }
    }
  }

  if (config.provenance) {
    for (const format of formats) {
      check(`provenance (${format}) on ${name(short(plan.digest))}`, {check: 'provenance', image: name(plan.digest), format}, async () => {
        const verified = await found('a', plan.digest)
        if (!verified.some((v) => v.format === format && v.predicateType === SLSA_PROVENANCE_V1)) throw new Error(`no ${format} SLSA v1 provenance attestation verifies ${trust.describe}`)
      })
    }
  }

  return steps
}

/** The `.sbom` attachment must hold the document the signer phase attaches (the same JSON). */
async function checkAttachment(client: RegistryClient, target: SigningTarget, digest: string, expected: Buffer): Promise<void> {
  const tag = cosignTag(digest, 'sbom')
  const manifest = await client.getManifest(target.signatureRepository, tag).catch((error: unknown) => {
    throw new Error(`no ${tag} in ${repositoryName(target.signatureRepository)} (${messageOf(error)})`)
  })
  const layer = (manifest.json as ImageManifest).layers?.[0]
  if (!layer) throw new Error(`${tag} has no layer`)
  const content = await client.getBlob(target.signatureRepository, layer.digest, Math.max(expected.length * 2, 1024 * 1024))
  let same = false
  try {
    same = canonicalDigest(JSON.parse(content.toString('utf8'))) === canonicalDigest(JSON.parse(expected.toString('utf8')))
  } catch {
    same = false
  }

  if (!same) throw new Error(`${tag} holds another document`)
}

/** A verified attestation's predicate in canonical form (the statement was parsed on the way in). */
function predicateDigest(item: VerifiedItem & {canonical?: string}): string {
  item.canonical ??= canonicalDigest((item.payload as {predicate?: unknown}).predicate ?? null)
  return item.canonical
}

/** Runs one check and records it; a failed check also fails its step, so it shows as ✖ with the reason. */
async function record(ctx: CheckContext, order: number, entry: Omit<ReleaseCheck, 'ok'>, test: () => Promise<void>): Promise<void> {
  try {
    await test()
    ctx.checks.push({order, check: {...entry, ok: true}})
  } catch (error) {
    const reason = messageOf(error)
    ctx.checks.push({order, check: {...entry, ok: false, reason}})
    throw new Error(reason)
  }
}

function noneVerified(error: unknown): VerifiedItem[] {
  if (error instanceof PluginError && error.code === 'VERIFY_FAILED') return []
  throw error
}

/** The client with its manifest and blob reads remembered for the run (a release check reads a snapshot). */
function sharedReads(client: RegistryClient): RegistryClient {
  const manifests = new Map<string, Promise<FetchedManifest | undefined>>()
  const blobs = new Map<string, Promise<Buffer>>()
  const shared = Object.create(client) as RegistryClient
  shared.findManifest = (repository, reference, ...rest) =>
    remember(manifests, `${repositoryName(repository)}@${reference}`, () => client.findManifest(repository, reference, ...rest), () => true)
  // Large blobs (a big SBOM's attestation) are not kept: reading one twice costs less than holding it.
  shared.getBlob = (repository, digest, maxBytes) =>
    remember(blobs, `${repositoryName(repository)}@${digest}`, () => client.getBlob(repository, digest, maxBytes), (blob) => blob.length <= MAX_SHARED_BLOB)
  return shared
}

const MAX_SHARED_BLOB = 4 * 1024 * 1024

function remember<V>(cache: Map<string, Promise<V>>, key: string, load: () => Promise<V>, keep: (value: V) => boolean): Promise<V> {
  const known = cache.get(key)
  if (known) return known
  const loading = load()
  cache.set(key, loading)
  loading.then(
    (value) => keep(value) || cache.delete(key),
    () => cache.delete(key),
  )
  return loading
}

function short(digest: string): string {
  return digest.slice(0, 19)
}
