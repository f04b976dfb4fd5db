import {type Config, ux} from '@oclif/core'

import {runSignerPhase} from '../cli/signer-phase.js'
import {readCosignConfig} from '../config/index.js'
import {PluginError} from '../errors.js'
import {loadSigner, passwordSource} from '../keys/index.js'
import {planReport} from '../signer/report-plan.js'
import {type SignOptions} from './build-flags.js'
import {provenanceFromBuild} from './host-provenance.js'
import {reportFromBuild} from './host-report.js'

/** Steps run at once, as `sign`'s --concurrency default. */
const CONCURRENCY = 8

/**
 * The work behind `build --sign`, kept out of the hook files: hooks are imported for every
 * command the host runs, this module (the whole signer) only when --sign is given.
 */

/** Before the build: cosign.toml strictly, every key with its password, an identity token for keyless configs. */
export async function checkBeforeBuild(options: SignOptions): Promise<void> {
  if (!options.sign) throw new PluginError('USAGE', '--cosign-config is used with --sign: add --sign, or drop --cosign-config')
  if (!options.cosignConfig) throw new PluginError('USAGE', '--sign needs --cosign-config FILE (cosign.toml: the keys to sign with)')
  const cosign = await readCosignConfig(options.cosignConfig)
  // A plan without images checks each config on its own: repository overrides.
  planReport({tags: [], digest: '', file: options.cosignConfig}, cosign)
  // Signers are remembered per key file, so the signer phase reuses these without decrypting again.
  for (const entry of cosign.configs) {
    // Keyless: only that a token is there (SIGSTORE_ID_TOKEN, or GitHub Actions' provider); the
    // certificate is asked for by the signer phase's preflight, after the build.
    if (entry.keyless) (await import('../keyless/identity-token.js')).identityToken()
    else await loadSigner(entry.key!, passwordSource({passwordFile: entry.passwordFile, interactive: false}))
  }
}

/** After the build: the signer phase on the build's report, run and printed as `sign --report` does. */
export async function signBuild(config: Config, options: SignOptions & {cosignConfig: string}, result: unknown): Promise<void> {
  const report = await reportFromBuild(result)
  const hostBuild = provenanceFromBuild(result)
  await runSignerPhase(
    config,
    {report, hostBuild, cosignConfigPath: options.cosignConfig, insecureRegistries: options.insecureRegistries, output: {json: options.json, quiet: options.quiet}, concurrency: CONCURRENCY},
    {stdout: (line) => ux.stdout(line), stderr: (line) => ux.stderr(line)},
  )
}
