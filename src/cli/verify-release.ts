import {type Config} from '@oclif/core'

import {readCosignConfig, readReport} from '../config/index.js'
import {type ReleaseCheckResult, verifyRelease} from '../signer/release-check.js'
import {listrSteps, type OutputMode} from '../ui/tasks.js'
import {createRegistryClient, type RegistryContextOptions} from './registry-context.js'

// `verify --report --cosign-config`: the release checks drawn as listr2 tasks on stderr (✔ or ✖
// with the reason, one per image × config × check), then one summary line.

export interface ReleaseVerifyOptions extends RegistryContextOptions {
  reportPath: string
  cosignConfigPath: string
  trustedRootFile?: string
  insecureIgnoreTlog?: boolean
  concurrency: number
  output: OutputMode
}

export async function runReleaseVerify(config: Config, options: ReleaseVerifyOptions, stderr: (line: string) => void): Promise<ReleaseCheckResult> {
  const [report, cosign] = await Promise.all([readReport(options.reportPath), readCosignConfig(options.cosignConfigPath)])
  const client = createRegistryClient(config, options)
  const result = await verifyRelease({
    report,
    cosign,
    client,
    trustedRootFile: options.trustedRootFile,
    insecureIgnoreTlog: options.insecureIgnoreTlog,
    concurrency: options.concurrency,
    runSteps: listrSteps(options.output),
  })
  const configs = cosign.configs.length
  if (!options.output.quiet && !options.output.json) {
    stderr(`Verified ${report.digest} (${plural(report.tags.length, 'tag')}) against ${plural(configs, 'config')} of ${cosign.file}: all ${result.checks.length} checks passed`)
  }

  return result
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}
