import {PluginError} from '../errors.js'
import {CNB_REGISTRY_AUTH, parseCnbRegistryAuth} from './cnb-registry-auth.js'
import {type Credential, type ResolvedCredential, redacted} from './credential.js'
import {getFromCredentialHelper} from './credential-helper.js'
import {type DockerConfig, credentialHelperFor, dockerConfigPath, inlineCredential, loadDockerConfig} from './docker-config.js'
import {type HostCredentials, credentialFromHook} from './hook.js'
import {helperServerUrl, lookupByRegistry, normalizeRegistry} from './registry-host.js'

/** Finds the credential for a registry; undefined means anonymous. */
export interface Keychain {
  resolve(registry: string): Promise<ResolvedCredential | undefined>
}

export interface KeychainOptions {
  /** The host's `registry-auth` hook, asked first. */
  hostCredentials?: HostCredentials
  /** Environment for CNB_REGISTRY_AUTH, DOCKER_CONFIG and helpers' PATH (default process.env). */
  env?: NodeJS.ProcessEnv
  /** Home directory holding `.docker/config.json` (default os.homedir()). */
  homeDir?: string
  /** Limit for one credential-helper call (default 60s). */
  helperTimeoutMs?: number
}

/**
 * The keychain: for a registry host, the first of
 *   1. the host's registry-auth hook,
 *   2. CNB_REGISTRY_AUTH,
 *   3. docker's config.json — the registry's credHelpers entry or else credsStore, asked through
 *      docker-credential-<name>; then the registry's `auths` entry when no helper is configured
 *      or the helper has nothing stored,
 *   4. anonymous (undefined).
 * A helper answer beats an inline `auths` entry because that is what docker (and so pack) does.
 * Answers, errors included, are cached per registry, so each helper runs at most once per
 * registry per keychain; the docker config is read once, on first need.
 */
export function createKeychain(options: KeychainOptions = {}): Keychain {
  const env = options.env ?? process.env
  const cache = new Map<string, Promise<ResolvedCredential | undefined>>()
  let cnb: Record<string, Credential> | undefined
  let dockerConfig: Promise<DockerConfig | undefined> | undefined

  const withSource = (credential: Credential, source: ResolvedCredential['source'], location?: string) =>
    redacted(location === undefined ? {...credential, source} : {...credential, source, location}) as ResolvedCredential

  async function lookup(registry: string): Promise<ResolvedCredential | undefined> {
    if (options.hostCredentials) {
      const fromHook = await credentialFromHook(options.hostCredentials, registry)
      if (fromHook) return withSource(fromHook, 'hook')
    }

    cnb ??= parseCnbRegistryAuth(env[CNB_REGISTRY_AUTH])
    const fromCnb = lookupByRegistry(cnb, registry)
    if (fromCnb) return withSource(fromCnb, 'CNB_REGISTRY_AUTH')

    dockerConfig ??= loadDockerConfig(dockerConfigPath(env, options.homeDir))
    const config = await dockerConfig
    if (!config) return undefined

    const helper = credentialHelperFor(config, registry)
    if (helper) {
      const fromHelper = await getFromCredentialHelper(helper, helperServerUrl(registry), registry, {
        env,
        timeoutMs: options.helperTimeoutMs,
      })
      if (fromHelper) return withSource(fromHelper, `credential-helper:${helper}`, config.path)
    }

    const inline = inlineCredential(config, registry)
    return inline ? withSource(inline, 'docker-config', config.path) : undefined
  }

  return {
    async resolve(registry) {
      const host = normalizeRegistry(registry)
      if (!host) throw new PluginError('REFERENCE_INVALID', `no registry host in ${JSON.stringify(registry)}`)
      let answer = cache.get(host)
      if (!answer) {
        answer = lookup(host)
        cache.set(host, answer)
      }

      return answer
    },
  }
}
