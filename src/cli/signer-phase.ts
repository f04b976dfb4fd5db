import {type Config} from '@oclif/core'

import {type Report, readCosignConfig} from '../config/index.js'
import {type SignReportResult, signReport} from '../signer/report-phase.js'
import {type OutputMode} from '../ui/tasks.js'
import {createRegistryClient} from './registry-context.js'

/**
 * `sign --report --cosign-config` and `build --sign` run the very same signer phase: this is the
 * one entry both call.
 */
export interface SignerPhaseOptions {
  report: Report
  cosignConfigPath: string
  insecureRegistries: readonly string[]
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
  return signReport({report: options.report, cosign, client, output: options.output, concurrency: options.concurrency, identityToken: options.identityToken, sbomLimits})
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
