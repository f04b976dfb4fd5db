import {Args, Flags} from '@oclif/core'

import {parseAnnotationFlags} from '../cli/annotations.js'
import {annotationFlag, registryFlags} from '../cli/flags.js'
import {createRegistryClient} from '../cli/registry-context.js'
import {PluginError} from '../errors.js'
import {loadSigner, passwordSource} from '../keys/index.js'
import {parseReference, parseRepositoryName} from '../reference/reference.js'
import {type SignedImage, signImages} from '../signer/direct.js'
import {resolveImages} from '../signer/resolve.js'
import {BaseCommand} from '../ui/base-command.js'

export default class Sign extends BaseCommand {
  static override summary = 'Sign container images with a cosign key, as cosign does.'
  static override description = `Each IMAGE (by tag or digest) is resolved to its digest once, and the digest is signed: a classic cosign signature appended to the sha256-<hex>.sig tag, in the image's repository or in --repository. Images are checked before anything is written; a signature already made by this key is not added twice.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> registry.example.com/app:v1 --key cosign.key',
    'COSIGN_PASSWORD=... <%= config.bin %> <%= command.id %> registry.example.com/app@sha256:... --key cosign.key -a team=payments --repository registry.example.com/signatures',
  ]

  static override strict = false
  static override enableJsonFlag = true
  static override args = {
    image: Args.string({description: 'Image reference(s) to sign (tag or digest).', required: true}),
  }

  static override flags = {
    key: Flags.string({summary: 'Private key file (cosign encrypted, or unencrypted PKCS#8 PEM).', required: true, helpValue: 'FILE'}),
    'password-file': Flags.string({summary: "File holding the key's password (default: COSIGN_PASSWORD, or a prompt).", helpValue: 'FILE'}),
    annotations: annotationFlag,
    repository: Flags.string({summary: 'Repository that receives the signatures (like COSIGN_REPOSITORY).', helpValue: 'REGISTRY/REPO'}),
    'docker-media-types': Flags.boolean({summary: 'Write Docker media types for the signature manifest (like COSIGN_DOCKER_MEDIA_TYPES).'}),
    concurrency: Flags.integer({summary: 'Images signed at once.', default: 8, min: 1, max: 64}),
    ...registryFlags,
  }

  async run(): Promise<SignedImage[]> {
    const {argv, flags} = await this.parse(Sign)
    // Every input is checked before the network is touched, and every image before anything is written.
    const references = (argv as string[]).map((image) => parseReference(image))
    const annotations = parseAnnotationFlags(flags.annotations)
    const repository = flags.repository ? parseRepositoryName(flags.repository) : undefined
    const signer = await loadSigner(flags.key, passwordSource({passwordFile: flags['password-file']}))
    const client = createRegistryClient(this.config, {insecureRegistries: flags['insecure-registry']})
    const images = await resolveImages(client, references, flags.concurrency)
    if (images.length === 0) throw new PluginError('USAGE', 'no image to sign')
    const signed = await signImages(client, images, {
      signer,
      annotations,
      repository,
      dockerMediaTypes: flags['docker-media-types'],
      concurrency: flags.concurrency,
    })
    for (const result of signed) {
      this.log(`${result.appended ? 'Signed' : 'Already signed'} ${result.image} → ${result.signature}`)
    }

    return signed
  }
}
