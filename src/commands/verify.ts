import {Args, Flags} from '@oclif/core'

import {annotationFlag, registryFlags, wholeNumber} from '../cli/flags.js'
import {type ManifestVerification} from '../cli/verify-images.js'
import {PluginError} from '../errors.js'
import {type ReleaseCheckResult} from '../signer/release-check.js'
import {type VerifiedItem} from '../verify/index.js'
import {BaseCommand} from '../ui/base-command.js'

export default class Verify extends BaseCommand {
  static override summary = "Verify an image's signatures (or attestations) with a public key, or keyless by certificate identity."
  static override description = `Succeeds only when at least one signature on the image's digest verifies and carries every -a annotation. Both formats are read: classic .sig tags (cosign 2) and Sigstore bundles attached as OCI referrers (cosign 3, via the referrers API or the sha256-<hex> fallback tag). Prints the verified payloads as a JSON array, like cosign verify; stderr says which format each came from.

With --key, the signature must verify with that key; a transparency-log entry is not required, but one the signature carries is checked (against --trusted-root) unless --insecure-ignore-tlog.

Keyless (no --key): --certificate-identity or --certificate-identity-regexp, --certificate-oidc-issuer or --certificate-oidc-issuer-regexp, and --trusted-root FILE (a Sigstore trusted root; there is no TUF here). The certificate must chain to a Fulcio CA of the trusted root and carry an SCT, name that identity and issuer, and the signature must be in Rekor unless --insecure-ignore-tlog.

With --attestations, verifies in-toto attestations instead (the .att tag and bundle referrers), optionally of one --type.

Several IMAGEs, or --recursive (each platform manifest of an index too), are verified --concurrency at a time: one line per manifest on stderr, one summary, exit 0 only when every one verifies.

verify --report report.toml --cosign-config cosign.toml checks a whole release as it was signed: every tag points at the report's digest, and for every [[configs]] entry, in its repository and format(s), a signature carrying the [[annotations]] (on each platform manifest too with recursive), an attestation of every SBOM document (or the attachment), and provenance when the config asks for it. A config is verified with its public-key (else the public half of its key), or keyless with its certificate-identity and certificate-oidc-issuer (and --trusted-root). One line per check on stderr; exit 0 only when every check passes, else 10.`

  // oclif's generated usage cannot draw the exclusive groups (it printed empty choices): written out.
  static override usage = [
    '<%= command.id %> --report FILE --cosign-config FILE [--trusted-root FILE] [--insecure-ignore-tlog] [--concurrency N] [-q] [--insecure-registry HOST]... [--registry-ca FILE]... [--registry-timeout SECONDS] [--json]',
    '<%= command.id %> IMAGE... --key FILE [--trusted-root FILE] [--insecure-ignore-tlog] [-a KEY=VALUE]... [--attestations [--type TYPE]] [--repository REGISTRY/REPO] [--recursive] [--concurrency N] [--insecure-registry HOST]... [--registry-ca FILE]... [--registry-timeout SECONDS] [--json]',
    '<%= command.id %> IMAGE... (--certificate-identity ID | --certificate-identity-regexp REGEXP) (--certificate-oidc-issuer URL | --certificate-oidc-issuer-regexp REGEXP) --trusted-root FILE [--insecure-ignore-tlog] [--insecure-ignore-sct] [-a KEY=VALUE]... [--attestations [--type TYPE]] [--repository REGISTRY/REPO] [--recursive] [--concurrency N] [--insecure-registry HOST]... [--registry-ca FILE]... [--registry-timeout SECONDS] [--json]',
  ]

  static override examples = [
    '<%= config.bin %> <%= command.id %> registry.example.com/app:v1 --key cosign.pub',
    '<%= config.bin %> <%= command.id %> --report layers/report.toml --cosign-config cosign.toml',
    '<%= config.bin %> <%= command.id %> registry.example.com/app:v1 --key cosign.pub -a team=payments --json',
    '<%= config.bin %> <%= command.id %> registry.example.com/app:v1 --key cosign.pub --attestations --type cyclonedx',
    '<%= config.bin %> <%= command.id %> registry.example.com/app:v1 --certificate-identity-regexp "^https://github.com/acme/" --certificate-oidc-issuer https://token.actions.githubusercontent.com --trusted-root trusted_root.json',
  ]

  static override enableJsonFlag = true
  static override strict = false
  static override args = {
    image: Args.string({description: 'Image reference(s) (tag or digest); not with --report.'}),
  }

  static override flags = {
    report: Flags.string({summary: "A release: the exporter's report.toml, checked against --cosign-config.", helpValue: 'FILE', dependsOn: ['cosign-config']}),
    'cosign-config': Flags.string({summary: 'The cosign.toml that signed the release: every config is checked (public-key, or identities for keyless).', helpValue: 'FILE', dependsOn: ['report']}),
    concurrency: Flags.integer({summary: 'Images (or, with --report, checks) verified at once.', default: 8, min: 1, max: 64, parse: wholeNumber(1, 64), helpValue: 'N'}),
    quiet: Flags.boolean({char: 'q', summary: 'With --report: no progress output; errors only.'}),
    recursive: Flags.boolean({summary: "Also verify each platform manifest of an image index (every one must verify).", exclusive: ['report']}),
    key: Flags.string({summary: 'Public key file (PEM PUBLIC KEY), or a pkcs11: URI (the public key is read from the token); without it, verification is keyless.', helpValue: 'FILE', exclusive: ['report']}),
    'certificate-identity': Flags.string({summary: "Keyless: the signer's identity (a SAN of the certificate: email, URI), exactly.", helpValue: 'ID', exclusive: ['key', 'report']}),
    'certificate-identity-regexp': Flags.string({summary: "Keyless: a regular expression the signer's identity must match.", helpValue: 'REGEXP', exclusive: ['key', 'certificate-identity', 'report']}),
    'certificate-oidc-issuer': Flags.string({summary: "Keyless: the OIDC issuer of the signer's token, exactly.", helpValue: 'URL', exclusive: ['key', 'report']}),
    'certificate-oidc-issuer-regexp': Flags.string({summary: 'Keyless: a regular expression the OIDC issuer must match.', helpValue: 'REGEXP', exclusive: ['key', 'certificate-oidc-issuer', 'report']}),
    'trusted-root': Flags.string({summary: 'Sigstore trusted root (JSON): Fulcio CAs, Rekor and CT log keys, TSAs. Required keyless; with --key, checks log entries.', helpValue: 'FILE'}),
    annotations: annotationFlag({exclusive: ['report']}),
    repository: Flags.string({summary: 'Repository holding the signatures (like COSIGN_REPOSITORY).', helpValue: 'REGISTRY/REPO', exclusive: ['report']}),
    attestations: Flags.boolean({summary: 'Verify attestations instead of signatures.', exclusive: ['report']}),
    type: Flags.string({
      summary: 'With --attestations: cyclonedx, spdxjson, slsaprovenance, custom, syft, or a predicate type URI (default: any).',
      dependsOn: ['attestations'],
      helpValue: 'TYPE',
    }),
    'insecure-ignore-tlog': Flags.boolean({summary: 'Neither require nor check transparency-log entries (as cosign). With --key none is required anyway; keyless, one is.'}),
    'insecure-ignore-sct': Flags.boolean({summary: 'Keyless: do not require a CT log SCT in the certificate (as cosign).', exclusive: ['report']}),
    ...registryFlags,
  }

  async run(): Promise<VerifiedItem[] | ManifestVerification[] | ReleaseCheckResult> {
    const {argv, flags} = await this.parse(Verify)
    if (flags.report) {
      if (argv.length > 0) throw new PluginError('USAGE', 'name the image either as an argument or with --report, not both')
      const {runReleaseVerify} = await import('../cli/verify-release.js')
      return runReleaseVerify(
        this.config,
        {
          reportPath: flags.report,
          cosignConfigPath: flags['cosign-config']!,
          trustedRootFile: flags['trusted-root'],
          insecureIgnoreTlog: flags['insecure-ignore-tlog'],
          concurrency: flags.concurrency,
          output: {json: this.jsonEnabled(), quiet: flags.quiet},
          insecureRegistries: flags['insecure-registry'],
          registryCaFiles: flags['registry-ca'],
          timeoutSeconds: flags['registry-timeout'],
        },
        (line) => this.logToStderr(line),
      )
    }

    const {verifyImagesFromFlags} = await import('../cli/verify-images.js')
    return verifyImagesFromFlags(this.config, argv as string[], flags, {stdout: (line) => this.log(line), stderr: (line) => this.logToStderr(line), json: this.jsonEnabled()})
  }
}
