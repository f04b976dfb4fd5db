import {PluginError, messageOf} from '../errors.js'
import {loadSigner, passwordSource} from '../keys/index.js'
import {manifestReference, referenceName, repositoryName} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {type FetchedManifest} from '../registry/types.js'
import {distinct, type ReportPlan} from './report-plan.js'
import {keySigning, type Signing} from './signing-method.js'

// The RFC's first two steps, before anything is written: every tag readable and pointing at the
// report's digest, every signature repository writable, every key loadable — or, for a keyless
// config, an identity token found and a Fulcio certificate issued for it. Checks record problems
// instead of throwing, so the user sees all of them at once.

export interface PreflightState {
  problems: string[]
  /** The image manifest (by digest), kept for the SBOM step. */
  manifest?: FetchedManifest
  /** How each config signs (its loaded key, or its keyless signer), by position in cosign.toml. */
  signing: Signing[]
}

export async function checkTag(client: RegistryClient, plan: ReportPlan, index: number, state: PreflightState): Promise<void> {
  const tag = plan.tags[index]!
  await record(state, `read ${referenceName(tag)}`, async () => {
    const manifest = await client.getManifest(tag.repository, manifestReference(tag))
    if (manifest.digest !== plan.digest) {
      throw new PluginError('DIGEST_MISMATCH', `tag ${referenceName(tag)} points at ${manifest.digest}, but the report says ${plan.digest}`)
    }

    // Its bytes hash to the report's digest: it is the image manifest, no need to fetch it again.
    state.manifest ??= manifest
  })
}

/** Repositories that receive signatures, attestations or attachments, across all configs. */
export function writeTargets(plan: ReportPlan) {
  return distinct(plan.configs.flatMap((c) => c.targets.map((t) => t.signatureRepository)))
}

export async function checkWrite(client: RegistryClient, repository: ReturnType<typeof writeTargets>[number], state: PreflightState): Promise<void> {
  await record(state, `write to ${repositoryName(repository)}`, () => client.checkPushAccess(repository))
}

export async function checkKey(plan: ReportPlan, index: number, state: PreflightState): Promise<void> {
  const {config, label} = plan.configs[index]!
  await record(state, `load key of ${label}`, async () => {
    const signer = await loadSigner(config.key!, passwordSource({passwordFile: config.passwordFile, interactive: false}))
    state.signing[index] = keySigning(signer, config)
  })
}

/**
 * A keyless config: the identity token (`--identity-token`, SIGSTORE_ID_TOKEN, GitHub Actions) and
 * the one Fulcio certificate this config signs with for the whole run.
 */
export async function checkKeyless(plan: ReportPlan, index: number, state: PreflightState, token?: string): Promise<void> {
  const {config, label} = plan.configs[index]!
  await record(state, `keyless signing for ${label}`, async () => {
    const [{identityToken}, {keylessSigning}] = await Promise.all([import('../keyless/identity-token.js'), import('./keyless-signing.js')])
    const keyless = keylessSigning(identityToken({identityToken: token}), config)
    await keyless.witnessing.certificate()
    state.signing[index] = keyless
  })
}

export function assertNoProblems(state: PreflightState): void {
  if (state.problems.length === 0) return
  const list = state.problems.map((p, i) => `(${i + 1}) ${p}`).join('; ')
  throw new PluginError('PREFLIGHT_FAILED', `preflight found ${state.problems.length} problem(s), nothing was written: ${list}`)
}

async function record(state: PreflightState, what: string, check: () => Promise<void>): Promise<void> {
  try {
    await check()
  } catch (error) {
    state.problems.push(`${what}: ${messageOf(error)}`)
    throw error
  }
}
