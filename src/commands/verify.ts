import {Args, Flags} from '@oclif/core'

import {parseAnnotationFlags} from '../cli/annotations.js'
import {annotationFlag, registryFlags} from '../cli/flags.js'
import {createRegistryClient} from '../cli/registry-context.js'
import {PluginError} from '../errors.js'
import {type VerifiedClassicSignature, verifyClassicSignatures} from '../formats/classic-verify.js'
import {loadVerifier} from '../keys/index.js'
import {parseReference, parseRepositoryName, referenceName} from '../reference/reference.js'
import {resolveImages} from '../signer/resolve.js'
import {BaseCommand} from '../ui/base-command.js'

export default class Verify extends BaseCommand {
  static override summary = "Verify an image's cosign signatures with a public key."
  static override description = `Succeeds only when at least one signature on the image's digest verifies with the key and carries every -a annotation. Prints the verified payloads as a JSON array, like cosign verify.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> registry.example.com/app:v1 --key cosign.pub',
    '<%= config.bin %> <%= command.id %> registry.example.com/app:v1 --key cosign.pub -a team=payments --json',
  ]

  static override enableJsonFlag = true
  static override args = {
    image: Args.string({description: 'Image reference (tag or digest).', required: true}),
  }

  static override flags = {
    key: Flags.string({summary: 'Public key file (PEM PUBLIC KEY).', required: true, helpValue: 'FILE'}),
    annotations: annotationFlag(),
    repository: Flags.string({summary: 'Repository holding the signatures (like COSIGN_REPOSITORY).', helpValue: 'REGISTRY/REPO'}),
    ...registryFlags,
  }

  async run(): Promise<VerifiedClassicSignature['payload'][]> {
    const {args, flags} = await this.parse(Verify)
    const reference = parseReference(args.image)
    const annotations = parseAnnotationFlags(flags.annotations)
    const repository = flags.repository ? parseRepositoryName(flags.repository) : undefined
    const verifier = await loadVerifier(flags.key)
    const client = createRegistryClient(this.config, {insecureRegistries: flags['insecure-registry'], registryCaFiles: flags['registry-ca']})
    const [image] = await resolveImages(client, [reference], 1)
    const {verified, examined} = await verifyClassicSignatures(client, {
      digest: image!.digest,
      signatureRepository: repository ?? image!.repository,
      verifier,
      annotations,
    })
    if (verified.length === 0) {
      const what = examined === 0 ? 'no signatures found' : `none of ${examined} signature(s) verified with ${flags.key}`
      const needs = Object.keys(annotations).length > 0 ? ' and the given annotations' : ''
      throw new PluginError('VERIFY_FAILED', `${referenceName(reference)}: ${what}${examined === 0 ? '' : needs}`)
    }

    this.logToStderr(`Verified ${verified.length} signature(s) on ${referenceName(reference)}@${image!.digest} (format: classic) with ${flags.key}`)
    const payloads = verified.map((v) => v.payload)
    if (!this.jsonEnabled()) this.log(JSON.stringify(payloads))
    return payloads
  }
}
