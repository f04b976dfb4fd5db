import {readFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {join} from 'node:path'

import {PluginError, messageOf} from '../errors.js'
import {type Credential, decodeBasic, redacted} from './credential.js'
import {isPlainObject, parseSecretJson} from './json.js'
import {lookupByRegistry} from './registry-host.js'

/** One `auths` entry of docker's config.json, as docker writes it. */
export interface DockerAuthEntry {
  auth?: string
  username?: string
  password?: string
  identitytoken?: string
  registrytoken?: string
}

/** The parts of docker's config.json that say where credentials are. */
export interface DockerConfig {
  path: string
  auths: Record<string, DockerAuthEntry>
  credHelpers: Record<string, string>
  credsStore?: string
}

/**
 * Where pack (through go-containerregistry) reads docker's config: `$DOCKER_CONFIG/config.json`
 * when DOCKER_CONFIG is set, otherwise `~/.docker/config.json`.
 */
export function dockerConfigPath(env: NodeJS.ProcessEnv, homeDir: string = homedir()): string {
  const dir = env.DOCKER_CONFIG
  return dir ? join(dir, 'config.json') : join(homeDir, '.docker', 'config.json')
}

/**
 * Reads and checks a docker config file. A missing file (or directory) means no credentials,
 * as for docker; an unreadable or malformed one is CONFIG_INVALID naming the file and field.
 * Messages never quote values: the file holds passwords.
 */
export async function loadDockerConfig(path: string): Promise<DockerConfig | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    throw new PluginError('CONFIG_INVALID', `cannot read docker config ${path}: ${messageOf(error)}`)
  }

  // Windows editors may add a BOM; docker accepts an empty file as an empty config.
  text = text.replace(/^\uFEFF/, '')
  if (text.trim() === '') return {path, auths: {}, credHelpers: {}}

  const parsed = parseSecretJson(text)
  if (!parsed.ok) throw invalid(path, `is not valid JSON${parsed.where}`)
  if (!isPlainObject(parsed.value)) throw invalid(path, 'must hold a JSON object')
  const {auths = {}, credHelpers = {}, credsStore} = parsed.value

  if (!isPlainObject(auths)) throw invalid(path, 'has an "auths" that is not an object')
  for (const [key, entry] of Object.entries(auths)) {
    if (!isPlainObject(entry)) throw invalid(path, `has an "auths" entry ${JSON.stringify(key)} that is not an object`)
    for (const field of ['auth', 'username', 'password', 'identitytoken', 'registrytoken']) {
      if (entry[field] !== undefined && entry[field] !== null && typeof entry[field] !== 'string') {
        throw invalid(path, `has an "auths" entry ${JSON.stringify(key)} whose "${field}" is not a string`)
      }
    }
  }

  if (!isPlainObject(credHelpers)) throw invalid(path, 'has a "credHelpers" that is not an object')
  for (const [key, helper] of Object.entries(credHelpers)) {
    if (typeof helper !== 'string') throw invalid(path, `has a "credHelpers" entry ${JSON.stringify(key)} that is not a string`)
  }

  if (credsStore !== undefined && credsStore !== null && typeof credsStore !== 'string') {
    throw invalid(path, 'has a "credsStore" that is not a string')
  }

  return {
    path,
    auths: auths as Record<string, DockerAuthEntry>,
    credHelpers: credHelpers as Record<string, string>,
    // docker treats an empty credsStore as unset.
    credsStore: credsStore || undefined,
  }
}

/**
 * The credential helper docker would ask for a normalised registry: its `credHelpers` entry,
 * else the `credsStore`. Empty entries count as unset, as in docker.
 */
export function credentialHelperFor(config: DockerConfig, registry: string): string | undefined {
  return lookupByRegistry(config.credHelpers, registry) || config.credsStore
}

/**
 * The credential written in `auths` for a normalised registry. Precedence is
 * go-containerregistry's: registrytoken (sent directly) over identitytoken (refresh flow) over
 * username/password; `auth` overrides the separate username/password fields, as docker decodes it.
 */
export function inlineCredential(config: DockerConfig, registry: string): Credential | undefined {
  const entry = lookupByRegistry(config.auths, registry)
  if (!entry) return undefined
  if (entry.registrytoken) return redacted({kind: 'bearer', token: entry.registrytoken})

  let username = entry.username ?? ''
  let password = entry.password ?? ''
  if (entry.auth) {
    const decoded = decodeBasic(entry.auth)
    if (!decoded) {
      throw invalid(config.path, `has an "auths" entry for ${registry} whose "auth" is not base64 of "username:password"`)
    }

    ;({username, password} = decoded)
  }

  if (entry.identitytoken) {
    return redacted(username ? {kind: 'identity-token', token: entry.identitytoken, username} : {kind: 'identity-token', token: entry.identitytoken})
  }

  // `{}` entries are what docker leaves behind when a credential store holds the secret.
  if (!username && !password) return undefined
  return redacted({kind: 'basic', username, password})
}

function invalid(path: string, what: string): PluginError {
  return new PluginError('CONFIG_INVALID', `docker config ${path} ${what}; fix or remove it (see docker login)`)
}
