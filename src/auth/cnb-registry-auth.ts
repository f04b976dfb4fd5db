import {PluginError} from '../errors.js'
import {type Credential, decodeBasic, redacted} from './credential.js'
import {isPlainObject, parseSecretJson} from './json.js'
import {lookupByRegistry, normalizeRegistry} from './registry-host.js'

/**
 * The variable the CNB lifecycle reads registry credentials from:
 * `{"<registry>": "Basic <base64 user:pass>" | "Bearer <token>"}`. pack-ts sets it for builds, so
 * honouring it here makes signing see the same credentials the build used.
 */
export const CNB_REGISTRY_AUTH = 'CNB_REGISTRY_AUTH'

/**
 * Credentials from CNB_REGISTRY_AUTH keyed as written; look entries up with
 * {@link lookupByRegistry}. An unset or empty variable gives no entries. Every entry is checked
 * up front so a mistake surfaces once, whichever registry is asked for first. Errors name the
 * variable and the registry key, never the value.
 */
export function parseCnbRegistryAuth(raw: string | undefined): Record<string, Credential> {
  if (raw === undefined || raw.trim() === '') return {}
  const parsed = parseSecretJson(raw)
  if (!parsed.ok) {
    throw new PluginError('CONFIG_INVALID', `${CNB_REGISTRY_AUTH} is not valid JSON${parsed.where}; expected {"<registry>": "Basic <base64>" | "Bearer <token>"}`)
  }

  if (!isPlainObject(parsed.value)) {
    throw new PluginError('CONFIG_INVALID', `${CNB_REGISTRY_AUTH} must be a JSON object mapping registries to "Basic ..." or "Bearer ..." headers`)
  }

  const entries: Record<string, Credential> = {}
  for (const [key, header] of Object.entries(parsed.value)) {
    const where = `${CNB_REGISTRY_AUTH} entry for ${JSON.stringify(normalizeRegistry(key) || key)}`
    if (typeof header !== 'string') {
      throw new PluginError('CONFIG_INVALID', `${where} must be a string like "Basic <base64>" or "Bearer <token>"`)
    }

    entries[key] = headerToCredential(header, where)
  }

  return entries
}

/** Lifecycle's authHeaderToConfig, with the scheme matched case-insensitively as HTTP does. */
function headerToCredential(header: string, where: string): Credential {
  const match = /^\s*(basic|bearer)\s+(\S+)\s*$/i.exec(header)
  if (!match) {
    throw new PluginError('CONFIG_INVALID', `${where} must start with "Basic " or "Bearer " followed by the credential`)
  }

  if (match[1].toLowerCase() === 'bearer') return redacted({kind: 'bearer', token: match[2]})
  const basic = decodeBasic(match[2])
  if (!basic) {
    throw new PluginError('CONFIG_INVALID', `${where} has a Basic value that is not base64 of "username:password"`)
  }

  return redacted({kind: 'basic', ...basic})
}
