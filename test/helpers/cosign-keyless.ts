import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {type SigstoreServices} from './sigstore-services.js'

/**
 * The environment cosign 2.5 needs to verify classic keyless and logged signatures against the
 * local services, offline: it takes no trusted root for classic signatures (`--trusted-root` is
 * not consulted) and would go to TUF, unless SIGSTORE_ROOT_FILE (Fulcio), SIGSTORE_REKOR_PUBLIC_KEY
 * and SIGSTORE_CT_LOG_PUBLIC_KEY_FILE name the keys. Writes those files into `dir`.
 */
export async function cosignKeylessEnv(services: SigstoreServices, dir: string): Promise<Record<string, string>> {
  const files = {
    SIGSTORE_ROOT_FILE: services.fulcioRootPem,
    SIGSTORE_REKOR_PUBLIC_KEY: services.rekorPublicKeyPem,
    SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: services.ctlogPublicKeyPem,
  }
  const env: Record<string, string> = {HOME: dir}
  for (const [name, pem] of Object.entries(files)) {
    env[name] = join(dir, `${name}.pem`)
    await writeFile(env[name], pem)
  }

  return env
}
