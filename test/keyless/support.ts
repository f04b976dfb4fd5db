/** Shared pieces of the keyless tests: the local Sigstore services per file, and error assertions. */
import assert from 'node:assert/strict'
import {after, before} from 'node:test'

import {type ErrorCode, isPluginError} from '../../src/errors.js'
import {bundleFromClassic, type BundleVerifyOptions, type VerifiedBundle, verifyBundle} from '../../src/verify/index.js'
import {parseTrustedRoot, type TrustedRoot} from '../../src/keyless/index.js'
import {type SigstoreServices, startSigstoreServices, type TrustedRootJSON} from '../helpers/sigstore-services.js'

export interface Services extends SigstoreServices {
  root: TrustedRoot
}

/** Starts the local Fulcio, Rekor and TSA for the file's tests and stops them after. */
export function useSigstoreServices(): () => Services {
  let services: Services | undefined
  before(async () => {
    const started = await startSigstoreServices()
    services = Object.assign(started, {root: parseTrustedRoot(started.trustedRoot, 'the test trusted root')})
  })
  after(() => services?.stop())
  return () => {
    assert.ok(services, 'services not started')
    return services
  }
}

/** The test trusted root with some of its parts emptied (a root that does not trust them). */
export function rootWithout(json: TrustedRootJSON, ...parts: ('tlogs' | 'certificateAuthorities' | 'ctlogs' | 'timestampAuthorities')[]): TrustedRoot {
  const copy: TrustedRootJSON = structuredClone(json)
  for (const part of parts) copy[part] = []
  return parseTrustedRoot(copy, 'a reduced trusted root')
}

/** Asserts a PluginError with this code whose message contains every fragment. */
export async function rejectsWith(action: Promise<unknown> | (() => unknown), code: ErrorCode, ...fragments: string[]): Promise<Error> {
  let caught: unknown
  try {
    await (typeof action === 'function' ? action() : action)
  } catch (error) {
    caught = error
  }

  assert.ok(caught !== undefined, `expected a ${code} PluginError, got success`)
  assert.ok(isPluginError(caught), `expected a PluginError, got ${String(caught)}`)
  assert.equal(caught.code, code, caught.message)
  for (const fragment of fragments) assert.ok(caught.message.includes(fragment), `"${caught.message}" lacks "${fragment}"`)
  return caught
}

export async function getJson(url: string): Promise<{status: number; json: unknown}> {
  const response = await fetch(url)
  return {status: response.status, json: response.status === 200 ? await response.json() : undefined}
}

/** One classic `.sig` layer (payload and annotations, as read from a registry) verified as the bundle it amounts to. */
export function verifyClassicSignature(
  layer: {payload: Buffer; annotations: Record<string, string>},
  options: BundleVerifyOptions,
): VerifiedBundle {
  return verifyBundle(bundleFromClassic(layer.payload, layer.annotations), layer.payload, options)
}
