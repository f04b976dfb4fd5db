import {readFileSync} from 'node:fs'

import {type Config} from '@oclif/core'

import {REGISTRY_AUTH_HOOK, type RegistryAuthHookResult, createKeychain} from '../auth/index.js'
import {PluginError, messageOf} from '../errors.js'
import {RegistryClient} from '../registry/client.js'

// A registry client wired to the credentials the user already has: the host's `registry-auth`
// hook first (pack-ts answers it), then CNB_REGISTRY_AUTH, the docker config, anonymous.

export interface RegistryContextOptions {
  /** Hosts named by --insecure-registry. */
  insecureRegistries?: readonly string[]
  /** Files named by --registry-ca. */
  registryCaFiles?: readonly string[]
  /** --registry-timeout, in seconds. */
  timeoutSeconds?: number
}

export function createRegistryClient(config: Config, options: RegistryContextOptions): RegistryClient {
  const keychain = createKeychain({hostCredentials: (registry) => askHost(config, registry)})
  const caCertificates = (options.registryCaFiles ?? []).map(readCaFile)
  const timeoutMs = options.timeoutSeconds === undefined ? undefined : options.timeoutSeconds * 1000
  return new RegistryClient({credentials: keychain, insecureRegistries: options.insecureRegistries, caCertificates, timeoutMs})
}

function readCaFile(path: string): string {
  let pem: string
  try {
    pem = readFileSync(path, 'utf8')
  } catch {
    throw new PluginError('USAGE', `--registry-ca ${path}: cannot read the file`)
  }

  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new PluginError('USAGE', `--registry-ca ${path}: not a PEM certificate`)
  return pem
}

async function askHost(config: Config, registry: string): Promise<RegistryAuthHookResult> {
  const hooks = config.plugins ? [...config.plugins.values()].some((p) => p.hooks?.[REGISTRY_AUTH_HOOK]) : false
  if (!hooks) return undefined
  const result = await config.runHook(REGISTRY_AUTH_HOOK as never, {registry} as never)
  const failure = result.failures[0]
  if (failure) {
    throw new PluginError('CREDENTIAL_HELPER', `the ${REGISTRY_AUTH_HOOK} hook of ${failure.plugin.name} failed for ${registry}: ${messageOf(failure.error)}`)
  }

  for (const success of result.successes) {
    if (success.result !== undefined && success.result !== null) return success.result as RegistryAuthHookResult
  }

  return undefined
}
