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

export function annotationFlag(options: {exclusive?: string[]} = {}) {
  return Flags.string({
    char: 'a',
    summary: 'Annotation key=value (repeatable).',
    multiple: true,
    helpValue: 'KEY=VALUE',
    ...options,
  })
}
