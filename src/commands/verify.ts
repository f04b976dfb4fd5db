import {Args, Flags} from '@oclif/core'

import {parseAnnotationFlags} from '../cli/annotations.js'
import {annotationFlag, registryFlags} from '../cli/flags.js'
import {createRegistryClient} from '../cli/registry-context.js'
import {PluginError} from '../errors.js'
import {parseReference, parseRepositoryName, referenceName} from '../reference/reference.js'
import {resolveImages} from '../signer/resolve.js'
import {type VerifiedItem, verifyImage} from '../signer/verify-image.js'
import {BaseCommand} from '../ui/base-command.js'

export default class Verify extends BaseCommand {
  static override summary = "Verify an image's signatures (or attestations) with a public key."
  static override description = `Succeeds only when at least one signature on the image's digest verifies with the key and carries every -a annotation. Both formats are read: classic .sig tags (cosign 2) and Sigstore bundles attached as OCI referrers (cosign 3, via the referrers API or the sha256-<hex> fallback tag). Prints the verified payloads as a JSON array, like cosign verify; stderr says which format each came from.

With --attestations, verifies in-toto attestations instead (the .att tag and bundle referrers), optionally of one --type.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> registry.example.com/app:v1 --key cosign.pub',
    '<%= config.bin %> <%= command.id %> registry.example.com/app:v1 --key cosign.pub -a team=payments --json',
    '<%= config.bin %> <%= command.id %> registry.example.com/app:v1 --key cosign.pub --attestations --type cyclonedx',
  ]

  static override enableJsonFlag = true
  static override args = {
    image: Args.string({description: 'Image reference (tag or digest).', required: true}),
  }

  static override flags = {
    key: Flags.string({summary: 'Public key file (PEM PUBLIC KEY).', required: true, helpValue: 'FILE'}),
    annotations: annotationFlag(),
    repository: Flags.string({summary: 'Repository holding the signatures (like COSIGN_REPOSITORY).', helpValue: 'REGISTRY/REPO'}),
    attestations: Flags.boolean({summary: 'Verify attestations instead of signatures.'}),
    type: Flags.string({
      summary: 'With --attestations: cyclonedx, spdxjson, slsaprovenance, custom, syft, or a predicate type URI (default: any).',
      dependsOn: ['attestations'],
      helpValue: 'TYPE',
    }),
    'insecure-ignore-tlog': Flags.boolean({summary: 'Do not require transparency-log entries (as cosign; key-based signatures made without --tlog-upload have none).'}),
    ...registryFlags,
  }

  async run(): Promise<VerifiedItem[]> {
    const {args, flags} = await this.parse(Verify)
    const reference = parseReference(args.image)
    const annotations = parseAnnotationFlags(flags.annotations)
    if (flags.attestations && Object.keys(annotations).length > 0) throw new PluginError('USAGE', '-a annotations apply to signatures, not with --attestations')
    const repository = flags.repository ? parseRepositoryName(flags.repository) : undefined
    const client = createRegistryClient(this.config, {insecureRegistries: flags['insecure-registry'], registryCaFiles: flags['registry-ca']})
    const [image] = await resolveImages(client, [reference], 1)
    const result = await verifyImage(client, {
      digest: image!.digest,
      repository: repository ?? image!.repository,
      keyFile: flags.key,
      annotations,
      attestations: flags.attestations,
      type: flags.type,
    })
    const what = flags.attestations ? 'attestation(s)' : 'signature(s)'
    const byFormat = ['classic', 'bundle'].map((f) => `${result.verified.filter((v) => v.format === f).length} ${f}`).join(', ')
    this.logToStderr(`Verified ${result.verified.length} ${what} on ${referenceName(reference)}@${image!.digest} with ${flags.key} (${byFormat})`)
    if (!this.jsonEnabled()) this.log(JSON.stringify(result.verified.map((v) => v.payload)))
    return result.verified
  }
}
