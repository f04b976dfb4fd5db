import {Args, Flags} from '@oclif/core'

import {annotationFlag, registryFlags, sbomLimitFlags, wholeNumber} from '../cli/flags.js'
import {keylessFlags, readIdentityToken} from '../cli/signing-flags.js'
import {PluginError} from '../errors.js'
import {type SignedImage} from '../signer/direct.js'
import {type SignerPhaseResult} from '../signer/signer-phase.js'
import {BaseCommand} from '../ui/base-command.js'

export default class Sign extends BaseCommand {
  static override summary = 'Sign container images with cosign keys or keyless: the Buildpacks signer phase, or images named directly.'
  static override description = `Two ways in:

  sign --report report.toml --cosign-config cosign.toml
    The Buildpacks signer phase (RFC "Cosign support"). Checks first, writing nothing: every tag in the report is readable and points at the report's digest, every repository that will receive signatures is writable, every key loads. Then signs the digest with every [[configs]] key in every repository among the tags, and exports the image's SBOM as attestations or attachments.

  sign IMAGE... --key cosign.key | --keyless
    Each IMAGE (by tag or digest) is resolved to its digest once, and the digest is signed. All images are resolved before anything is written.

Signatures are cosign's classic format (the sha256-<hex>.sig tag) unless --format says bundle or both; a signature this key already made is not added twice.

A key in an HSM or token signs there, the private key never leaving it: --key (or key = in cosign.toml) takes a pkcs11: URI (RFC 7512, as cosign does: token or slot-id, object or id, module-path; the PIN from pin-value or pin-source in the URI, else as a key password). pkcs11 list-keys prints each key's URI.

Keyless (--keyless, or keyless = true in cosign.toml): an OIDC identity token (--identity-token, SIGSTORE_ID_TOKEN, or GitHub Actions' token) gets a short-lived certificate from Fulcio, and every signature is logged in Rekor. With a key, --tlog-upload (tlog-upload = true) logs signatures in Rekor too; it is off by default because on the public Rekor the image's name becomes public.`

  // oclif's generated usage cannot draw these overlapping exclusive/dependsOn groups (it printed
  // empty choices: `[--password-file FILE | ]`, `[--tlog-upload |  | ]`): the two ways in, as README and docs/commands.md have them.
  static override usage = [
    '<%= command.id %> --report FILE --cosign-config FILE [--identity-token TOKEN|FILE] [--sbom-max-layer-mib MIB] [--sbom-max-uncompressed-mib MIB] [--sbom-max-document-mib MIB] [--insecure-registry HOST]... [--registry-ca FILE]... [--registry-timeout SECONDS] [--concurrency N] [-q] [--json]',
    '<%= command.id %> IMAGE... (--key FILE [--password-file FILE] [--tlog-upload] | --keyless [--identity-token TOKEN|FILE] [--fulcio-url URL]) [--rekor-url URL] [--tsa-url URL] [-a KEY=VALUE]... [--repository REGISTRY/REPO] [--docker-media-types] [--format classic|bundle|both] [--insecure-registry HOST]... [--registry-ca FILE]... [--registry-timeout SECONDS] [--concurrency N] [-q] [--json]',
  ]

  // oclif adds `$ ` only to examples that start with the bin; with a variable in front, say it here.
  static override examples = [
    '<%= config.bin %> <%= command.id %> --report layers/report.toml --cosign-config cosign.toml',
    '<%= config.bin %> <%= command.id %> registry.example.com/app:v1 --key cosign.key',
    '$ SIGSTORE_ID_TOKEN=... <%= config.bin %> <%= command.id %> registry.example.com/app:v1 --keyless --format both',
    '$ COSIGN_PASSWORD=... <%= config.bin %> <%= command.id %> registry.example.com/app@sha256:... --key cosign.key -a team=payments --repository registry.example.com/signatures',
    '$ COSIGN_PASSWORD="$PIN" <%= config.bin %> <%= command.id %> registry.example.com/app:v1 --key "pkcs11:token=release;object=signing?module-path=/usr/lib/softhsm/libsofthsm2.so"',
  ]

  static override strict = false
  static override enableJsonFlag = true
  static override args = {
    image: Args.string({description: 'Image reference(s) to sign (tag or digest); not with --report.'}),
  }

  static override flags = {
    report: Flags.string({summary: "The exporter's report.toml (signer phase).", helpValue: 'FILE', dependsOn: ['cosign-config']}),
    'cosign-config': Flags.string({summary: 'cosign.toml: keys, repositories, annotations, SBOM export (signer phase).', helpValue: 'FILE', dependsOn: ['report']}),
    key: Flags.string({summary: 'Private key file (cosign encrypted, or PKCS#8 PEM, plain or encrypted), or a pkcs11: URI of a key in an HSM or token.', helpValue: 'FILE', exclusive: ['report', 'keyless']}),
    'password-file': Flags.string({summary: "File holding the key's password, or the token's PIN (default: COSIGN_PASSWORD, or a prompt).", helpValue: 'FILE', exclusive: ['report']}),
    annotations: annotationFlag({exclusive: ['report']}),
    repository: Flags.string({summary: 'Repository that receives the signatures (like COSIGN_REPOSITORY).', helpValue: 'REGISTRY/REPO', exclusive: ['report']}),
    'docker-media-types': Flags.boolean({summary: 'Write Docker media types for the signature manifest (like COSIGN_DOCKER_MEDIA_TYPES).', exclusive: ['report']}),
    format: Flags.option({
      summary: 'Signature format: classic (.sig tags, cosign 2), bundle (Sigstore bundles as OCI referrers, cosign 3), or both.',
      options: ['classic', 'bundle', 'both'] as const,
      default: 'classic' as const,
      exclusive: ['report'],
    })(),
    ...keylessFlags,
    concurrency: Flags.integer({
      summary: 'Images (or signer-phase steps) at work at once; one waiting to read back its write lends its place.',
      default: 8,
      min: 1,
      max: 64,
      parse: wholeNumber(1, 64),
      helpValue: 'N',
    }),
    quiet: Flags.boolean({char: 'q', summary: 'No progress output; errors only.'}),
    ...registryFlags,
    ...sbomLimitFlags,
  }

  async run(): Promise<SignedImage[] | SignerPhaseResult> {
    const {argv, flags} = await this.parse(Sign)
    const images = argv as string[]
    if (flags.report) {
      if (images.length > 0) throw new PluginError('USAGE', 'name images either as arguments or with --report, not both')
      // Loaded on demand: direct mode should not pay for TOML, listr2 and the SBOM reader at start-up.
      const [{readReport}, {runSignerPhase}] = await Promise.all([import('../config/index.js'), import('../cli/signer-phase.js')])
      const report = await readReport(flags.report)
      return runSignerPhase(this.config, {
        report,
        cosignConfigPath: flags['cosign-config']!,
        insecureRegistries: flags['insecure-registry'],
        registryCaFiles: flags['registry-ca'],
        timeoutSeconds: flags['registry-timeout'],
        sbomLimitsMiB: {layer: flags['sbom-max-layer-mib'], uncompressed: flags['sbom-max-uncompressed-mib'], document: flags['sbom-max-document-mib']},
        output: {json: this.jsonEnabled(), quiet: flags.quiet},
        concurrency: flags.concurrency,
        identityToken: readIdentityToken(flags['identity-token']),
      }, {stdout: (line) => this.log(line), stderr: (line) => this.logToStderr(line)})
    }

    const {signImagesFromFlags} = await import('../cli/direct-run.js')
    return signImagesFromFlags(this.config, images, flags, {log: (line) => this.log(line), logToStderr: (line) => this.logToStderr(line), quiet: flags.quiet, json: this.jsonEnabled()})
  }
}
