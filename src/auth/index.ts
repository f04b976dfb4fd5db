/** Registry credentials: where they come from, in the order pack users expect (see keychain.ts). */
export {createKeychain, type Keychain, type KeychainOptions} from './keychain.js'
export {
  type Credential,
  type CredentialSource,
  type ResolvedCredential,
} from './credential.js'
export {
  REGISTRY_AUTH_HOOK,
  type HostCredentials,
  type RegistryAuthHookOptions,
  type RegistryAuthHookResult,
  type RegistryAuthHooks,
} from './hook.js'
export {CNB_REGISTRY_AUTH} from './cnb-registry-auth.js'
export {DOCKER_HUB_AUTH_KEY, normalizeRegistry} from './registry-host.js'
