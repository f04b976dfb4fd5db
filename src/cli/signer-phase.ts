import {type Config} from '@oclif/core'

import {type Report, readCosignConfig} from '../config/index.js'
import {isPluginError} from '../errors.js'
import {type HostBuildInputs} from '../provenance/predicate.js'
import {type SignerPhaseResult, signerPhase} from '../signer/signer-phase.js'
import {listrSteps, type OutputMode} from '../ui/tasks.js'
import {Interrupts} from './interrupt.js'
import {createRegistryClient} from './registry-context.js'

// `sign --report --cosign-config` and `build --sign` run the very same signer phase: this is the
// one entry both call. It reads cosign.toml, connects, runs the pipeline's steps with listr2 on
// stderr, handles Ctrl-C, and prints the result.

/** Where the result goes: what was pushed on stdout, warnings on stderr. */
export interface ResultOutput {
  stdout(line: string): void
  stderr(line: string): void
}

export interface SignerPhaseOptions {
  report: Report
  cosignConfigPath: string
  insecureRegistries?: readonly string[]
  registryCaFiles?: readonly string[]
  timeoutSeconds?: number
  output: OutputMode
  concurrency: number
  /** `--identity-token` for keyless configs. */
  identityToken?: string
  /** What the host's build knows of the build (the host contract's `provenance`), for provenance = true. */
  hostBuild?: HostBuildInputs
  /** --sbom-max-*-mib, in MiB. */
  sbomLimitsMiB?: {layer?: number; uncompressed?: number; document?: number}
}

export async function runSignerPhase(config: Config, options: SignerPhaseOptions, out: ResultOutput): Promise<SignerPhaseResult> {
  const result = await signWithInterrupts(config, options)
  for (const warning of result.warnings) out.stderr(`Warning: ${warning}`)
  // With --json the result is the JSON document (a command's, or the host build's).
  if (!options.output.quiet && !options.output.json) for (const line of describePushed(result)) out.stdout(line)
  return result
}

async function signWithInterrupts(config: Config, options: SignerPhaseOptions): Promise<SignerPhaseResult> {
  const cosign = await readCosignConfig(options.cosignConfigPath)
  const client = createRegistryClient(config, {
    insecureRegistries: options.insecureRegistries,
    registryCaFiles: options.registryCaFiles,
    timeoutSeconds: options.timeoutSeconds,
  })
  const MiB = 1024 * 1024
  const limits = options.sbomLimitsMiB ?? {}
  const sbomLimits = {
    ...(limits.layer ? {maxCompressedBytes: limits.layer * MiB} : {}),
    ...(limits.uncompressed ? {maxUncompressedBytes: limits.uncompressed * MiB} : {}),
    ...(limits.document ? {maxDocumentBytes: limits.document * MiB} : {}),
  }
  const interrupts = new Interrupts((line) => process.stderr.write(`${line}\n`))
  try {
    // Provenance names the tool that ran (the host, inside pack-ts) and the CI run, if any.
    const provenance = {builder: {id: `urn:pack-ts:${config.bin}`, version: {[config.name]: config.version}}, env: process.env, ...(options.hostBuild ? {host: options.hostBuild} : {})}
    const run = signerPhase({
      report: options.report,
      cosign,
      client,
      runSteps: listrSteps(options.output),
      concurrency: options.concurrency,
      identityToken: options.identityToken,
      sbomLimits,
      signal: interrupts.signal,
      provenance,
    })
    run.catch(() => undefined) // also awaited below, unless the grace period ends first
    const finished = await Promise.race([run.then((result) => ({result}), (error: unknown) => ({error})), interrupts.graceElapsed])
    // Everything finished although a signal came: nothing is missing, so it is a success.
    if (finished !== 'grace-elapsed' && 'result' in finished) return finished.result
    if (!interrupts.interrupted && finished !== 'grace-elapsed') throw finished.error
    throw interrupted(interrupts, finished)
  } finally {
    interrupts.dispose()
  }
}

/** The signal's error, saying what got written before the run stopped. */
function interrupted(interrupts: Interrupts, finished: 'grace-elapsed' | {error: unknown}): unknown {
  if (finished === 'grace-elapsed') return interrupts.error('interrupted: writes still under way after the grace period were abandoned; run the same command again to finish (nothing is added twice)')
  const error = finished.error
  if (isPluginError(error) && error.code === 'SIGNING_INCOMPLETE') return interrupts.error(`interrupted: ${error.message}; run the same command again to finish (nothing is added twice)`, error.details)
  return isPluginError(error) && (error.code === 'INTERRUPTED' || error.code === 'TERMINATED') ? interrupts.error(error.message) : error
}

/** The lines a person reads after the run. */
function describePushed(result: SignerPhaseResult): string[] {
  const verb = {signature: 'Signed', attestation: 'Attested', attachment: 'Attached SBOM of'} as const
  return result.pushed.map((p) => {
    const what = p.predicateType ? `${p.subject} (${p.predicateType})` : p.subject
    const already = p.appended ? '' : ' (already there)'
    const where = p.format === 'classic' ? `${p.repository}:${p.tag}` : `${p.repository}@${p.referrer} (bundle referrer)`
    return `${verb[p.kind]} ${what} → ${where}${already} [configs[${p.config}]]`
  })
}
