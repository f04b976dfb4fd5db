import {Errors, Flags} from '@oclif/core'

/**
 * An integer flag's parser that states the whole allowed range when a value is refused (oclif's
 * own says only the bound that was crossed, and nothing for `0.5`). Pass the same min/max to the
 * flag for its help.
 */
export function wholeNumber(min: number, max?: number): (input: string) => Promise<number> {
  const range = max === undefined ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}`
  return async (input) => {
    const value = /^\s*-?\d+\s*$/.test(input) ? Number.parseInt(input, 10) : Number.NaN
    if (!Number.isSafeInteger(value) || value < min || (max !== undefined && value > max)) {
      throw new Errors.CLIError(`expected ${range}, got ${JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input)}`)
    }

    return value
  }
}

/**
 * Flags shared by the commands that talk to registries, named as pack and cosign name them. The
 * repeatable ones have no `default: []`: oclif's help would print it as an empty `[default: ]`.
 */
export const registryFlags = {
  'insecure-registry': Flags.string({
    summary: 'Registry host whose TLS certificate is not verified, or reached over plain HTTP (repeatable; as in pack). Safer: --registry-ca.',
    multiple: true,
    helpValue: 'HOST',
  }),
  'registry-timeout': Flags.integer({
    summary: 'Seconds to wait for each registry response before retrying or failing.',
    default: 60,
    min: 1,
    max: 3600,
    parse: wholeNumber(1, 3600),
    helpValue: 'SECONDS',
  }),
  'registry-ca': Flags.string({
    summary: "PEM file with a CA certificate to trust for registries' TLS (repeatable); NODE_EXTRA_CA_CERTS works too.",
    multiple: true,
    helpValue: 'FILE',
  }),
}

/**
 * Limits on the SBOM layer read from the registry (it is outside input: a gzip bomb is refused).
 * Signer phase only: `dependsOn: ['report']` refuses them with `sign IMAGE...`, which reads no
 * SBOM — so they carry no oclif default (a default counts as given); the defaults live in
 * src/sbom/limits.ts and are named in the summaries.
 */
export const sbomLimitFlags = {
  'sbom-max-layer-mib': Flags.integer({summary: 'Largest SBOM layer blob to download, in MiB (default 256).', min: 1, parse: wholeNumber(1), helpValue: 'MIB', dependsOn: ['report']}),
  'sbom-max-uncompressed-mib': Flags.integer({
    summary: 'Largest uncompressed SBOM layer, in MiB (default 1024; stops gzip bombs while streaming).',
    min: 1,
    parse: wholeNumber(1),
    helpValue: 'MIB',
    dependsOn: ['report'],
  }),
  'sbom-max-document-mib': Flags.integer({summary: 'Largest single SBOM document, in MiB (default 256).', min: 1, parse: wholeNumber(1), helpValue: 'MIB', dependsOn: ['report']}),
}

export function annotationFlag(options: {exclusive?: string[]} = {}) {
  return Flags.string({
    char: 'a',
    summary: 'Annotation key=value (repeatable; one "=", as cosign requires).',
    multiple: true,
    helpValue: 'KEY=VALUE',
    ...options,
  })
}
