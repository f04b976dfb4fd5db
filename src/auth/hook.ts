import type {Interfaces} from '@oclif/core'

import {PluginError, isPluginError, messageOf} from '../errors.js'
import {type Credential, redacted} from './credential.js'

/** The oclif hook a host (pack-ts or another plugin) implements to supply registry credentials. */
export const REGISTRY_AUTH_HOOK = 'registry-auth'

/** What a `registry-auth` hook receives: the normalised registry host, e.g. `ghcr.io`, `index.docker.io`. */
export type RegistryAuthHookOptions = {registry: string}

/** What a `registry-auth` hook returns: a credential, or undefined to let the next source answer. */
export type RegistryAuthHookResult = Credential | undefined

/**
 * The hook's declaration, for implementers:
 * `const hook: Hook<'registry-auth', RegistryAuthHooks> = async ({registry}) => ...`.
 */
export interface RegistryAuthHooks extends Interfaces.Hooks {
  'registry-auth': {options: RegistryAuthHookOptions; return: RegistryAuthHookResult}
}

/** The function the keychain calls first; the command layer wires it to the hook. */
export type HostCredentials = (registry: string) => Promise<RegistryAuthHookResult>

/**
 * Calls the host's function and checks what came back. A hook that throws is reported as
 * CREDENTIAL_HELPER (PluginErrors pass through); one that returns something not Credential-shaped
 * broke the documented contract (HOST_CONTRACT). The value itself is never quoted.
 */
export async function credentialFromHook(hostCredentials: HostCredentials, registry: string): Promise<Credential | undefined> {
  let value: unknown
  try {
    value = await hostCredentials(registry)
  } catch (error) {
    if (isPluginError(error)) throw error
    throw new PluginError('CREDENTIAL_HELPER', `the ${REGISTRY_AUTH_HOOK} hook failed for ${registry}: ${messageOf(error)}`)
  }

  if (value === undefined || value === null) return undefined
  const credential = asCredential(value)
  if (!credential) {
    throw new PluginError(
      'HOST_CONTRACT',
      `the ${REGISTRY_AUTH_HOOK} hook returned an invalid credential for ${registry}; expected undefined, ` +
        `{kind: 'basic', username, password}, {kind: 'bearer', token} or {kind: 'identity-token', token, username?}`,
    )
  }

  return credential
}

function asCredential(value: unknown): Credential | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const v = value as Record<string, unknown>
  if (v.kind === 'basic' && typeof v.username === 'string' && typeof v.password === 'string') {
    return redacted({kind: 'basic', username: v.username, password: v.password})
  }

  if (v.kind === 'bearer' && typeof v.token === 'string' && v.token !== '') {
    return redacted({kind: 'bearer', token: v.token})
  }

  if (v.kind === 'identity-token' && typeof v.token === 'string' && v.token !== '') {
    if (v.username === undefined) return redacted({kind: 'identity-token', token: v.token})
    if (typeof v.username === 'string') return redacted({kind: 'identity-token', token: v.token, username: v.username})
  }

  return undefined
}
