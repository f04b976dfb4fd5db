import {DOCKER_HUB, dockerHubAlias} from '../reference/reference.js'

// Registry host normalisation. Docker config files, CNB_REGISTRY_AUTH and callers spell the same
// registry in several ways (`ghcr.io`, `https://ghcr.io`, `http://ghcr.io/v1/`, `docker.io`...);
// every lookup goes through normalizeRegistry so that they all meet on one key.

/**
 * The key docker stores Hub credentials under, and the server URL credential helpers are asked
 * for when the registry is Docker Hub (docker login has always used it; helpers index by it).
 */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/'

/**
 * The host[:port] a registry string names, lower-cased, with Hub aliases folded to
 * {@link DOCKER_HUB}. Follows docker's `ConvertToHostname`: drop a `scheme://` prefix, then
 * everything from the first `/`. Returns '' when nothing is left.
 */
export function normalizeRegistry(value: string): string {
  let host = value.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
  const slash = host.indexOf('/')
  if (slash !== -1) host = host.slice(0, slash)
  // Userinfo never names a registry, and must not end up in a cache key or a message.
  const at = host.lastIndexOf('@')
  if (at !== -1) host = host.slice(at + 1)
  // DNS names are case-insensitive; docker keys are not, so fold here to make them match.
  host = host.toLowerCase()
  return dockerHubAlias(host) ? DOCKER_HUB : host
}

/** What to write on a credential helper's stdin for a normalised registry (docker does the same). */
export function helperServerUrl(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_AUTH_KEY : registry
}

/**
 * The entry of a map keyed by registry spellings (docker `auths` / `credHelpers`,
 * CNB_REGISTRY_AUTH) that applies to a normalised registry. A key spelled exactly as docker
 * itself writes it wins over aliases, so a file holding both `https://index.docker.io/v1/` and
 * `docker.io` behaves like docker; otherwise the first matching key in file order wins.
 */
export function lookupByRegistry<T>(entries: Record<string, T>, registry: string): T | undefined {
  for (const exact of [helperServerUrl(registry), registry]) {
    if (Object.hasOwn(entries, exact)) return entries[exact]
  }

  for (const [key, value] of Object.entries(entries)) {
    if (normalizeRegistry(key) === registry) return value
  }

  return undefined
}
