// A host's view of the public API: compiled by test/hooks/public-api.test.ts against the package
// as installed in test/host (by name, through package.json's exports map), never run.
import {
  type Credential,
  EXIT_CODES,
  type ErrorCode,
  type ImageOutcome,
  isPluginError,
  PluginError,
  type PushedArtifact,
  REGISTRY_AUTH_HOOK,
  type RegistryAuthHookOptions,
  type RegistryAuthHookResult,
  type RegistryAuthHooks,
  type SignedImage,
  type SignerPhaseResult,
} from '@pack-ts/plugin-sign'

export const hookName: keyof RegistryAuthHooks = REGISTRY_AUTH_HOOK
export async function registryAuth({registry}: RegistryAuthHookOptions): Promise<RegistryAuthHookResult> {
  const credential: Credential = {kind: 'basic', username: 'ci', password: registry}
  return credential
}

export function exitCodeOf(error: unknown): number {
  const code: ErrorCode = isPluginError(error) ? error.code : 'USAGE'
  return EXIT_CODES[code]
}

export function signedDigests(result: SignerPhaseResult | SignedImage[] | ImageOutcome[]): string[] {
  if (!Array.isArray(result)) return result.pushed.map((p: PushedArtifact) => p.manifestDigest)
  return result.map((r) => ('digest' in r ? r.digest : r.subject))
}

export const error = new PluginError('USAGE', 'an example')
