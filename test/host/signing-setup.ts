import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {runCli} from '../helpers/run.js'

/** A key pair from our generate-key-pair and the cosign.toml a user writes for it. */
export interface SigningSetup {
  pub: string
  cosignConfig: string
}

export async function signingSetup(dir: string): Promise<SigningSetup> {
  const password = 'host test password'
  const generated = await runCli(['generate-key-pair', '--output-key-prefix', join(dir, 'k')], {env: {COSIGN_PASSWORD: password}})
  assert.equal(generated.code, 0, generated.stderr)
  writeFileSync(join(dir, 'pw.txt'), `${password}\n`)
  const cosignConfig = join(dir, 'cosign.toml')
  writeFileSync(cosignConfig, '[[configs]]\nkey = "k.key"\npassword = "pw.txt"\n')
  return {pub: join(dir, 'k.pub'), cosignConfig}
}
