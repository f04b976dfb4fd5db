import {type Config} from '@oclif/core'

import {type Report, readCosignConfig} from '../config/index.js'
import {isPluginError} from '../errors.js'
import {type SignReportResult, signReport} from '../signer/report-phase.js'
import {type OutputMode} from '../ui/tasks.js'
import {Interrupts} from './interrupt.js'
import {createRegistryClient} from './registry-context.js'

/**
 * `sign --report --cosign-config` and `build --sign` run the very same signer phase: this is the
 * one entry both call.
 */
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
  /** --sbom-max-*-mib, in MiB. */
  sbomLimitsMiB?: {layer?: number; uncompressed?: number; document?: number}
}

export async function runSignerPhase(config: Config, options: SignerPhaseOptions): Promise<SignReportResult> {
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
    const provenance = {builder: {id: `urn:pack-ts:${config.bin}`, version: {[config.name]: config.version}}, env: process.env}
    const run = signReport({report: options.report, cosign, client, output: options.output, concurrency: options.concurrency, identityToken: options.identityToken, sbomLimits, signal: interrupts.signal, provenance})
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

/** The lines a person reads after the run (stdout), and warnings (stderr). */
export function describeResult(result: SignReportResult): {lines: string[]; warnings: string[]} {
  const verb = {signature: 'Signed', attestation: 'Attested', attachment: 'Attached SBOM of'} as const
  const lines = result.pushed.map((p) => {
    const what = p.predicateType ? `${p.subject} (${p.predicateType})` : p.subject
    const already = p.appended ? '' : ' (already there)'
    const where = p.format === 'classic' ? `${p.repository}:${p.tag}` : `${p.repository}@${p.referrer} (bundle referrer)`
    return `${verb[p.kind]} ${what} → ${where}${already} [configs[${p.config}]]`
  })
  return {lines, warnings: result.warnings}
}
