import {type CosignConfig, type Report} from '../config/index.js'
import {PluginError, messageOf} from '../errors.js'
import {type PublishBatch, Publisher} from '../formats/publisher.js'
import {writeSbomAttachment} from '../formats/sbom-attachment.js'
import {referenceName, repositoryName} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {WorkSlots} from '../util/work-slots.js'
import {isIndexMediaType} from '../registry/media-types.js'
import {type Descriptor, type ImageIndex} from '../registry/types.js'
import {type PreflightState, assertNoProblems, checkKey, checkKeyless, checkTag, checkWrite, writeTargets} from './preflight.js'
import {type PlannedConfig, type ReportPlan, type SigningTarget, planReport} from './report-plan.js'
import {type SbomLimits} from '../sbom/index.js'
import {SLSA_PROVENANCE_V1} from '../provenance/predicate.js'
import {type ProvenanceRequest, buildProvenance} from './provenance-export.js'
import {attachmentOrder, type SbomSubject, collectSboms} from './sbom-export.js'
import {type Step, type StepRunner, runSteps} from './steps.js'
import {type Queued, type SigningOptions, type Written, queueSbomAttestation, queueSignature} from './write-signature.js'

// The Buildpacks signer phase (RFC "Cosign support"): preflight → sign every image with every
// config → export the SBOM → attest provenance → write. Shared by `sign --report` and
// `build --sign`; cli/ draws its steps.
//
// Signatures and attestations are made in memory first and written last, each destination once
// (see Publisher): a release with two keys and nine SBOM documents costs one write cycle of its
// `.sig` tag and one of its `.att` tag, in parallel, not twenty in a row. The SBOM layer is read
// while preflight runs (the report names the digest).

export interface SignerPhaseInput {
  report: Report
  cosign: CosignConfig
  client: RegistryClient
  /** Runs (and shows) the steps; without one they run silently. */
  runSteps?: StepRunner
  concurrency: number
  /** `--identity-token` for keyless configs (else SIGSTORE_ID_TOKEN, else GitHub Actions). */
  identityToken?: string
  /** Overrides of the SBOM size limits (--sbom-max-*-mib). */
  sbomLimits?: Partial<SbomLimits>
  /** Aborted (Ctrl-C): no further step or write starts; what is under way finishes. */
  signal?: AbortSignal
  /** For configs with `provenance = true`: who makes the attestation, and what the host adds. */
  provenance?: Pick<ProvenanceRequest, 'builder' | 'host' | 'env'>
}

export interface PushedArtifact {
  kind: 'signature' | 'attestation' | 'attachment'
  /** classic: a cosign tag (`tag`); bundle: a Sigstore bundle referrer (`referrer`). */
  format: 'classic' | 'bundle'
  /** Position of the config in cosign.toml. */
  config: number
  /** The signed manifest: `<repository>@<digest>`. */
  subject: string
  repository: string
  tag?: string
  referrer?: string
  manifestDigest: string
  /** False when an equivalent entry was already there. */
  appended: boolean
  predicateType?: string
}

export interface SignerPhaseResult {
  image: {digest: string; tags: string[]}
  pushed: PushedArtifact[]
  warnings: string[]
}

interface PhaseContext extends PreflightState {
  pushed: {order: number; artifact: PushedArtifact}[]
  warnings: string[]
  failures: string[]
  sboms?: SbomSubject[]
  publisher: Publisher
  /** Writes that are not appends (SBOM attachments replace their tag), run with the batches. */
  replacements: {title: string; write: () => Promise<void>}[]
  queued: number
}

export async function signerPhase(input: SignerPhaseInput): Promise<SignerPhaseResult> {
  const plan = planReport(input.report, input.cosign)
  const ctx: PhaseContext = {problems: [], signing: [], pushed: [], warnings: [], failures: [], publisher: new Publisher(input.client), replacements: [], queued: 0}
  const reads = startReads(input, plan)
  const steps = [
    ...preflight(input, plan),
    signing(input, plan),
    ...(reads.sboms ? sbomExport(input, plan, reads.sboms) : []),
    ...(reads.provenance ? [provenanceAttestation(plan, reads.provenance)] : []),
    writing(input),
  ]
  await (input.runSteps ?? runSteps)(steps.map((s) => stopWhenAborted(s, input.signal)), ctx).catch((error: unknown) => {
    // The first failure is rethrown; when preflight found problems, their summary is the message that matters.
    if (ctx.problems.length > 0) assertNoProblems(ctx)
    throw error
  })
  return report(input, plan, ctx)
}

/** Read-only, so these start before preflight has passed; their outcome is looked at only after. One read of the signed manifest serves the SBOM and the provenance. */
function startReads(input: SignerPhaseInput, plan: ReportPlan) {
  const exportsSbom = plan.configs.some((c) => c.config.exportSbom !== 'none')
  const attestsProvenance = plan.configs.some((c) => c.config.provenance)
  const repository = plan.tags[0]!.repository
  const signed = exportsSbom || attestsProvenance ? input.client.getManifest(repository, plan.digest) : undefined
  const sboms = exportsSbom ? signed!.then((manifest) => collectSboms(input.client, repository, manifest, input.sbomLimits)) : undefined
  const tool = input.provenance ?? {builder: {id: 'urn:pack-ts:plugin-sign', version: {}}, env: {}}
  const provenance = attestsProvenance ? buildProvenance(input.client, {repository, manifest: signed!, tags: input.report.tags, ...tool}) : undefined
  for (const read of [signed, sboms, provenance]) read?.catch(() => undefined)
  return {sboms, provenance}
}

function preflight(input: SignerPhaseInput, plan: ReportPlan): Step<PhaseContext>[] {
  return [
    {title: 'Preflight: read access, digests, write access, keys', steps: () => preflightSteps(input.client, plan, input.identityToken), concurrency: input.concurrency},
    {title: 'Check preflight results', run: (c) => assertNoProblems(c)},
  ]
}

function signing(input: SignerPhaseInput, plan: ReportPlan): Step<PhaseContext> {
  return {title: 'Sign', steps: (c) => signSteps(plan, c), concurrency: input.concurrency}
}

function sbomExport(input: SignerPhaseInput, plan: ReportPlan, sboms: Promise<{subjects: SbomSubject[]; warnings: string[]}>): Step<PhaseContext>[] {
  return [
    {
      title: 'Read the SBOM from the image',
      run: async (c) => {
        const read = await sboms
        c.sboms = read.subjects
        c.warnings.push(...read.warnings)
      },
    },
    {title: 'Export the SBOM', skip: (c) => (c.sboms?.length ?? 0) === 0, steps: (c) => sbomSteps(plan, c), concurrency: input.concurrency},
  ]
}

function provenanceAttestation(plan: ReportPlan, provenance: Promise<{predicate: Buffer; warnings: string[]}>): Step<PhaseContext> {
  return {
    title: 'Attest provenance',
    run: async (c) => {
      const {predicate, warnings} = await provenance
      c.warnings.push(...warnings)
      const configs = plan.configs.filter((planned) => planned.config.provenance)
      await Promise.all(configs.flatMap((planned) => planned.targets.map((target) => queueProvenance(c, planned, target, predicate))))
    },
  }
}

function writing(input: SignerPhaseInput): Step<PhaseContext> {
  return {title: 'Write to the registry', steps: (c) => writeSteps(c, input.concurrency, input.signal)}
}

/** Interrupted before the writes: nothing is written at all. */
function stopWhenAborted(step: Step<PhaseContext>, signal: AbortSignal | undefined): Step<PhaseContext> {
  return {
    ...step,
    run: (c) => {
      if (signal?.aborted) throw new PluginError('INTERRUPTED', 'interrupted before anything was written')
      return step.run?.(c)
    },
  }
}

/** What was pushed, in the order it was asked for; SIGNING_INCOMPLETE when any step failed. */
function report(input: SignerPhaseInput, plan: ReportPlan, ctx: PhaseContext): SignerPhaseResult {
  const pushed = ctx.pushed.sort((a, b) => a.order - b.order).map((p) => p.artifact)
  if (ctx.failures.length > 0) {
    const done = pushed.map((p) => `${p.kind} ${p.repository}${p.tag ? `:${p.tag}` : `@${p.referrer}`}`).join(', ') || 'nothing'
    throw new PluginError('SIGNING_INCOMPLETE', `${ctx.failures.length} step(s) failed: ${ctx.failures.join('; ')}; pushed: ${done}`, {
      details: {pushed, failed: ctx.failures, warnings: ctx.warnings},
    })
  }

  return {image: {digest: plan.digest, tags: input.report.tags}, pushed, warnings: ctx.warnings}
}

function preflightSteps(client: RegistryClient, plan: ReportPlan, identityToken: string | undefined): Step<PhaseContext>[] {
  return [
    ...plan.tags.map((tag, i) => ({title: `Read ${referenceName(tag)}`, run: (c: PhaseContext) => checkTag(client, plan, i, c)})),
    ...writeTargets(plan).map((repository) => ({title: `Write access to ${repositoryName(repository)}`, run: (c: PhaseContext) => checkWrite(client, repository, c)})),
    ...plan.configs.map((planned, i) =>
      planned.config.keyless
        ? {title: `Get a Fulcio certificate for ${planned.label}`, run: (c: PhaseContext) => checkKeyless(plan, i, c, identityToken)}
        : {title: `Load key of ${planned.label}`, run: (c: PhaseContext) => checkKey(plan, i, c)},
    ),
  ]
}

/** Each config × image repository, for the image digest and, with `recursive`, each platform manifest. */
function signSteps(plan: ReportPlan, ctx: PhaseContext): Step<PhaseContext>[] {
  const manifest = ctx.manifest!
  const top: Descriptor = {mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.length}
  const children = isIndexMediaType(manifest.mediaType) ? (manifest.json as ImageIndex).manifests : []
  return plan.configs.flatMap((planned, index) =>
    planned.targets.flatMap((target) => {
      const descriptors = [top, ...(planned.config.recursive ? children : [])]
      return descriptors.map((descriptor) => {
        const order = ctx.queued++
        const what = `sign ${repositoryName(target.imageRepository)}@${descriptor.digest} with ${planned.label}`
        return {
          title: `Sign ${repositoryName(target.imageRepository)}@${short(descriptor.digest)} with ${planned.label} → ${repositoryName(target.signatureRepository)} (${planned.config.format})`,
          run: () =>
            step(ctx, what, async () => {
              const queued = await queueSignature(ctx.publisher, {...target, descriptor}, plan.annotations, signingOptions(planned, ctx, index))
              collect(ctx, order, queued, (w) => artifact('signature', planned, target, descriptor.digest, w))
            }),
        }
      })
    }),
  )
}

/** Records each entry's result as its batch is written (a failed batch is recorded by its task). */
function collect(ctx: PhaseContext, order: number, queued: Queued, describe: (w: Written) => PushedArtifact): void {
  queued.written.catch(() => undefined) // each part is recorded on its own
  for (const [i, part] of queued.parts.entries()) {
    part.then(
      (w) => ctx.pushed.push({order: order + i / queued.parts.length, artifact: describe(w)}),
      () => undefined,
    )
  }
}

/** One task per destination: its entries written in one cycle. */
function writeSteps(ctx: PhaseContext, concurrency: number, signal?: AbortSignal): Step<PhaseContext>[] {
  const slots = new WorkSlots(concurrency)
  const notStarted = () => new PluginError('INTERRUPTED', 'not started: the run was interrupted')
  const batches = ctx.publisher.batches().map((batch) => ({
    title: `Write ${describeBatch(batch)}`,
    write: () => slots.run(async () => (signal?.aborted ? (await batch.abandon(notStarted()), Promise.reject(notStarted())) : batch.write())),
  }))
  const replacements = ctx.replacements.map(({title, write}) => ({title, write: () => (signal?.aborted ? Promise.reject(notStarted()) : write())}))
  return [...batches, ...replacements].map(({title, write}) => ({
    title,
    run: () => step(ctx, title.replace(/^Write/, 'write'), write),
  }))
}

function describeBatch(batch: PublishBatch): string {
  const counts = new Map<string, number>()
  for (const label of batch.labels) counts.set(label, (counts.get(label) ?? 0) + 1)
  const what = [...counts].map(([label, n]) => `${n} ${label}${n === 1 ? '' : 's'}`).join(' and ')
  return batch.kind === 'tag' ? `${what} to ${batch.where}` : `${what} as bundle referrers of ${batch.where}`
}

function signingOptions(planned: PlannedConfig, ctx: PhaseContext, index: number): SigningOptions {
  return {...ctx.signing[index]!, format: planned.config.format, dockerMediaTypes: planned.config.dockerMediaTypes}
}

function sbomSteps(plan: ReportPlan, ctx: PhaseContext): Step<PhaseContext>[] {
  return plan.configs.flatMap((planned, index) =>
    planned.config.exportSbom === 'none'
      ? []
      : planned.targets.flatMap((target) =>
          (ctx.sboms ?? []).map((subject) => ({
            title: `${planned.config.exportSbom === 'attestation' ? `Attest ${plural(subject.documents.length, 'SBOM document')}` : 'Attach one SBOM document'} of ${repositoryName(target.imageRepository)}@${short(subject.digest)} with ${planned.label}`,
            run: () =>
              step(ctx, `SBOM ${planned.config.exportSbom} for ${repositoryName(target.imageRepository)}@${subject.digest} with ${planned.label}`, () =>
                exportSbom(planned, target, subject, ctx, index),
              ),
          })),
        ),
  )
}

async function exportSbom(planned: PlannedConfig, target: SigningTarget, subject: SbomSubject, ctx: PhaseContext, index: number): Promise<void> {
  if (planned.config.exportSbom === 'attachment') {
    const [chosen, ...left] = attachmentOrder(subject.documents)
    const order = ctx.queued++
    ctx.replacements.push({
      title: `Write the SBOM attachment of ${repositoryName(target.imageRepository)}@${short(subject.digest)} to ${repositoryName(target.signatureRepository)}`,
      write: async () => {
        const result = await writeSbomAttachment(ctx.publisher.client, target.signatureRepository, subject.digest, chosen!, planned.config.dockerMediaTypes)
        const written: Written = {format: 'classic', repository: repositoryName(result.repository), location: result.tag, manifestDigest: result.manifestDigest, appended: true}
        ctx.pushed.push({order, artifact: {...artifact('attachment', planned, target, subject.digest, written), predicateType: chosen!.predicateType}})
      },
    })
    if (left.length > 0) {
      ctx.warnings.push(
        `${planned.label}: an SBOM attachment holds one document (cosign reads exactly one); attached ${chosen!.path} to ${repositoryName(target.imageRepository)}@${subject.digest}, left out ${left.map((d) => d.path).join(', ')}; use export-sbom = "attestation" to publish all of them`,
      )
    }

    return
  }

  // Signed in parallel (a large SBOM's attestation yields between pieces); written with the rest.
  const first = ctx.queued
  ctx.queued += subject.documents.length
  await Promise.all(
    subject.documents.map(async (document, i) => {
      const queued = await queueSbomAttestation(ctx.publisher, {...target, descriptor: subject.descriptor}, document.predicateType, document.content, signingOptions(planned, ctx, index))
      collect(ctx, first + i, queued, (w) => ({...artifact('attestation', planned, target, subject.digest, w), predicateType: document.predicateType}))
    }),
  )
}

/** One SLSA v1 provenance attestation of the signed digest, per config and repository; written with the rest. */
async function queueProvenance(ctx: PhaseContext, planned: PlannedConfig, target: SigningTarget, predicate: Buffer): Promise<void> {
  const manifest = ctx.manifest!
  const descriptor: Descriptor = {mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.length}
  const order = ctx.queued++
  await step(ctx, `provenance for ${repositoryName(target.imageRepository)}@${manifest.digest} with ${planned.label}`, async () => {
    const queued = await queueSbomAttestation(ctx.publisher, {...target, descriptor}, SLSA_PROVENANCE_V1, predicate, signingOptions(planned, ctx, planned.config.index))
    collect(ctx, order, queued, (w) => ({...artifact('attestation', planned, target, manifest.digest, w), predicateType: SLSA_PROVENANCE_V1}))
  })
}

function artifact(kind: PushedArtifact['kind'], planned: PlannedConfig, target: SigningTarget, digest: string, written: Written): PushedArtifact {
  return {
    kind,
    format: written.format,
    config: planned.config.index,
    subject: `${repositoryName(target.imageRepository)}@${digest}`,
    repository: written.repository,
    ...(written.format === 'classic' ? {tag: written.location} : {referrer: written.location}),
    manifestDigest: written.manifestDigest,
    appended: written.appended,
  }
}

/** Runs one write step; a failure is recorded (and shown on the task) but does not stop the others. */
async function step(ctx: PhaseContext, what: string, run: () => Promise<void>): Promise<void> {
  try {
    await run()
  } catch (error) {
    ctx.failures.push(`${what}: ${messageOf(error)}`)
    throw error
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}

function short(digest: string): string {
  return digest.slice(0, 19)
}
