import {RekorWitness, TSAWitness, type Witness} from '@sigstore/sign'

import {DEFAULT_REKOR_URL} from './defaults.js'

import {serviceError} from './service-error.js'

// @sigstore/sign's witnesses, ready for a DSSEBundleBuilder/MessageSignatureBundleBuilder, with
// their failures turned into PluginErrors that name the service. A few retries ride out a
// transient 5xx/429 from the public instances.

export {DEFAULT_REKOR_URL}

export interface ServiceOptions {
  /** Retries after a failed request (connection error, 408, 429, 5xx); default 2. */
  retries?: number
  /** Per-request timeout; default 30s. */
  timeoutMs?: number
}

export interface RekorWitnessOptions extends ServiceOptions {
  /** How a DSSE envelope is logged: `dsse` (default, what sigstore-js writes) or cosign 2's `intoto`. */
  entryType?: 'dsse' | 'intoto'
}

const DEFAULTS = {retries: 2, timeoutMs: 30_000}

export function rekorWitness(url: string = DEFAULT_REKOR_URL, options: RekorWitnessOptions = {}): Witness {
  const witness = new RekorWitness({
    rekorBaseURL: url,
    entryType: options.entryType,
    // Rekor answers 409 for an entry it already holds (an Ed25519 key signs the same payload the
    // same way twice); fetch that entry instead of failing, as cosign does.
    fetchOnConflict: true,
    ...fetchOptions(options),
  })
  return {testify: (content, publicKey) => witness.testify(content, publicKey).catch((error: unknown) => Promise.reject(serviceError(error, 'Rekor', url)))}
}

export function tsaWitness(url: string, options: ServiceOptions = {}): Witness {
  const witness = new TSAWitness({tsaBaseURL: url, ...fetchOptions(options)})
  return {
    testify: (content) =>
      witness.testify(content).catch((error: unknown) => Promise.reject(serviceError(error, 'the timestamp authority', url))),
  }
}

function fetchOptions(options: ServiceOptions): {retry: {retries: number; minTimeout: number}; timeout: number} {
  return {retry: {retries: options.retries ?? DEFAULTS.retries, minTimeout: 500}, timeout: options.timeoutMs ?? DEFAULTS.timeoutMs}
}
