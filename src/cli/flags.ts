import {Flags} from '@oclif/core'

/** Flags shared by the commands that talk to registries, named as pack and cosign name them. */
export const registryFlags = {
  'insecure-registry': Flags.string({
    summary: 'Registry host reached over plain HTTP (repeatable); loopback hosts always are.',
    multiple: true,
    default: [],
    helpValue: 'HOST',
  }),
  'registry-timeout': Flags.integer({
    summary: 'Seconds to wait for each registry response before retrying or failing.',
    default: 60,
    min: 1,
    max: 3600,
    helpValue: 'SECONDS',
  }),
  'registry-ca': Flags.string({
    summary: "PEM file with a CA certificate to trust for registries' TLS (repeatable); NODE_EXTRA_CA_CERTS works too.",
    multiple: true,
    default: [],
    helpValue: 'FILE',
  }),
}

/** Limits on the SBOM layer read from the registry (it is outside input: a gzip bomb is refused). */
export const sbomLimitFlags = {
  'sbom-max-layer-mib': Flags.integer({summary: 'Largest SBOM layer blob to download, in MiB.', default: 256, min: 1, helpValue: 'MIB'}),
  'sbom-max-uncompressed-mib': Flags.integer({summary: 'Largest uncompressed SBOM layer, in MiB (stops gzip bombs while streaming).', default: 1024, min: 1, helpValue: 'MIB'}),
  'sbom-max-document-mib': Flags.integer({summary: 'Largest single SBOM document, in MiB.', default: 256, min: 1, helpValue: 'MIB'}),
}

export function annotationFlag(options: {exclusive?: string[]} = {}) {
  return Flags.string({
    char: 'a',
    summary: 'Annotation key=value (repeatable).',
    multiple: true,
    helpValue: 'KEY=VALUE',
    ...options,
  })
}
