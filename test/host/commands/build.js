import {mkdirSync, writeFileSync} from 'node:fs'
import {join, resolve} from 'node:path'

import {Args, Command, Errors, Flags} from '@oclif/core'

/**
 * pack-ts's `build`, standing in for the lifecycle (which cannot run here): "exports" a fresh app
 * image with a CNB SBOM layer to the registry and resolves the exporter's report as the host
 * contract says. The image content is built by code with the plugin's compiled test helpers.
 */
export default class Build extends Command {
  static summary = 'Build an app image (test stand-in: pushes a prepared image with an SBOM layer).'
  static args = {image: Args.string({required: true, description: 'REGISTRY/REPO:TAG to export to'})}
  static flags = {
    publish: Flags.boolean({summary: 'Export to the registry (without it: a daemon export, no digest).'}),
    'report-as': Flags.string({summary: 'How run() hands over the report.', options: ['path', 'object', 'none'], default: 'path'}),
    fail: Flags.boolean({summary: 'Fail after exporting, as a late lifecycle failure would.'}),
  }

  async run() {
    const {args, flags} = await this.parse(Build)
    const [{pushImage}, {buildSbomLayer}, {RegistryClient}] = await Promise.all([
      import('../../../.cache/test-build/test/helpers/images.js'),
      import('../../../.cache/test-build/test/fixtures/sbom-layer.js'),
      import('../../../.cache/test-build/src/registry/client.js'),
    ])
    const image = {tags: [args.image]}
    if (flags.publish) {
      const sbom = buildSbomLayer()
      const client = new RegistryClient({credentials: lifecycleCredentials()})
      const pushed = await pushImage(client, args.image, {labels: sbom.labels, layers: [Buffer.from('app layer ' + Date.now()), sbom.tar]})
      Object.assign(image, {digest: pushed.digest, 'manifest-size': pushed.descriptor.size})
    }

    this.log(`Successfully built image ${args.image}`)
    if (flags.fail) throw new Errors.CLIError('export failed after pushing (simulated)', {exit: 3})
    const report = {image}
    // The host contract's optional provenance object, as the test hands it in.
    const extra = process.env.PACK_TS_TEST_PROVENANCE ? {provenance: JSON.parse(process.env.PACK_TS_TEST_PROVENANCE)} : {}
    if (flags['report-as'] === 'object') return {image: args.image, report, ...extra}
    if (flags['report-as'] === 'none') return {image: args.image, ...extra}
    const dir = resolve('layers')
    mkdirSync(dir, {recursive: true})
    writeFileSync(join(dir, 'report.toml'), toml(image))
    return {image: args.image, reportPath: join(dir, 'report.toml'), ...extra}
  }
}

/** The lifecycle's registry credentials (pack hands them to the lifecycle container, not to plugins). */
function lifecycleCredentials() {
  const auth = JSON.parse(process.env.PACK_TS_TEST_LIFECYCLE_AUTH ?? '{}')
  return {resolve: async (registry) => (auth[registry] ? {kind: 'basic', ...auth[registry]} : undefined)}
}

function toml(image) {
  const lines = ['[image]', `  tags = ${JSON.stringify(image.tags)}`]
  if (image.digest) lines.push(`  digest = "${image.digest}"`, `  manifest-size = ${image['manifest-size']}`)
  return lines.join('\n') + '\n'
}
