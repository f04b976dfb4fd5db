// The package's public API: what a host (pack-ts) imports by name. Paths under dist/ are not API.

// The `registry-auth` hook a host answers with its credentials.
export type {Credential} from './auth/credential.js'
export {REGISTRY_AUTH_HOOK, type RegistryAuthHookOptions, type RegistryAuthHookResult, type RegistryAuthHooks} from './auth/hook.js'
// What `--json` prints on success.
export type {ImageOutcome, SignedImage} from './signer/direct.js'
export type {PushedArtifact, SignerPhaseResult} from './signer/signer-phase.js'
// Failures: one typed error, its codes and their exit codes.
export {type ErrorCode, EXIT_CODES, isPluginError, PluginError} from './errors.js'
