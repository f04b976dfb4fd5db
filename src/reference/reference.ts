import {PluginError} from '../errors.js'

// Image references as docker and go-containerregistry read them: `[registry/]repo[:tag][@digest]`.
// Docker Hub is `index.docker.io` with the `library/` prefix for one-word names, as cosign writes
// it into `docker-reference`.
// (go-containerregistry's DefaultRegistry; auth/ folds credential keys to it too).

export const DOCKER_HUB = 'index.docker.io'

/** Names that all mean Docker Hub. `registry-1.docker.io` is where Hub's API actually answers. */
export function dockerHubAlias(host: string): boolean {
  return host === 'docker.io' || host === DOCKER_HUB || host === 'registry-1.docker.io'
}

const DIGEST = /^sha256:[a-f0-9]{64}$/
const TAG = /^[\w][\w.-]{0,127}$/
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const REGISTRY = /^(?:\[[0-9a-fA-F:]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?)(?::\d{1,5})?$/

export interface Repository {
  /** Host as used on the wire, e.g. `127.0.0.1:5000`, `index.docker.io`. */
  readonly registry: string
  /** Repository path, e.g. `library/alpine`. */
  readonly path: string
}

export interface ImageReference {
  readonly repository: Repository
  readonly tag?: string
  readonly digest?: string
}

export function repositoryName(repository: Repository): string {
  return `${repository.registry}/${repository.path}`
}

/** The reference as the user would write it: tag and/or digest included. */
export function referenceName(reference: ImageReference): string {
  const tag = reference.tag ? `:${reference.tag}` : ''
  const digest = reference.digest ? `@${reference.digest}` : ''
  return `${repositoryName(reference.repository)}${tag}${digest}`
}

/** The tag or digest to address the manifest by (digest wins: it is what was meant). */
export function manifestReference(reference: ImageReference): string {
  return reference.digest ?? reference.tag ?? 'latest'
}

export function isDigest(value: string): boolean {
  return DIGEST.test(value)
}

export function parseReference(input: string): ImageReference {
  const invalid = (why: string) =>
    new PluginError('REFERENCE_INVALID', `invalid image reference "${input}": ${why}`)
  if (input.length === 0 || input.length > 4096 || /\s/.test(input)) {
    throw invalid('it must be non-empty, without spaces, like registry.example.com/app:tag')
  }

  let rest = input
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at !== -1) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!DIGEST.test(digest)) throw invalid('the digest must be sha256: followed by 64 lowercase hex characters')
  }

  let tag: string | undefined
  const lastSlash = rest.lastIndexOf('/')
  const colon = rest.lastIndexOf(':')
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1)
    rest = rest.slice(0, colon)
    if (!TAG.test(tag)) throw invalid(`tag "${tag}" may hold only letters, digits, _ . - (at most 128)`)
  }

  const repository = parseRepository(rest, invalid)
  // A bare name means :latest, as docker reads it; a digest alone stays a digest.
  const effectiveTag = tag ?? (digest ? undefined : 'latest')
  return {repository, ...(effectiveTag ? {tag: effectiveTag} : {}), ...(digest ? {digest} : {})}
}

/** `registry/path` without tag or digest, e.g. a signature repository override. */
export function parseRepositoryName(input: string): Repository {
  const invalid = (why: string) =>
    new PluginError('REFERENCE_INVALID', `invalid repository "${input}": ${why}`)
  if (input.length === 0 || /[\s@]/.test(input)) throw invalid('expected registry.example.com/path, without tag or digest')
  const lastSlash = input.lastIndexOf('/')
  if (input.lastIndexOf(':') > lastSlash && lastSlash !== -1) throw invalid('a repository has no tag')
  return parseRepository(input, invalid)
}

function parseRepository(name: string, invalid: (why: string) => PluginError): Repository {
  const parts = name.split('/')
  let registry = DOCKER_HUB
  const first = parts[0] ?? ''
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['))) {
    registry = first
    parts.shift()
  }

  if (!REGISTRY.test(registry)) throw invalid(`"${registry}" is not a registry host`)
  // A DNS name has at most 253 characters (and so the canonical name stays under the input cap).
  if (registry.replace(/:\d{1,5}$/, '').length > 253) throw invalid('the registry host is longer than 253 characters')
  if (dockerHubAlias(registry)) registry = DOCKER_HUB
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library')
  if (parts.length === 0 || parts.some((p) => !PATH_COMPONENT.test(p))) {
    throw invalid('repository names use lowercase letters, digits and separators (. _ -), split by /')
  }

  const path = parts.join('/')
  if (path.length > 255) throw invalid('the repository name is longer than 255 characters')
  return {registry, path}
}

/** Loopback hosts get plain HTTP like go-containerregistry does; everything else HTTPS. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}
