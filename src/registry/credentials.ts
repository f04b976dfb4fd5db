// What the transport needs from a credential source (src/auth implements it). Kept structural so
// the registry layer does not depend on where credentials come from.

export type RegistryCredential =
  | {kind: 'basic'; username: string; password: string; source?: string}
  | {kind: 'bearer'; token: string; source?: string}
  | {kind: 'identity-token'; token: string; username?: string; source?: string}

export interface CredentialLookup {
  resolve(registry: string): Promise<RegistryCredential | undefined>
}

export const anonymous: CredentialLookup = {resolve: async () => undefined}

export function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
}

/** Where credentials came from, for messages; never the credentials themselves. */
export function describeSource(credential: RegistryCredential | undefined): string {
  if (!credential) return 'anonymous access (no credentials found)'
  return `credentials from ${credential.source ?? 'the configured source'}`
}
