import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {runCli} from './run.js'

/** A key pair from our own generate-key-pair, with its password in a file (cosign.toml style). */
export interface TestKey {
  key: string
  pub: string
  passwordFile: string
  password: string
}

export async function generateTestKey(dir: string, name: string, password = `pw-${name}`): Promise<TestKey> {
  const prefix = join(dir, name)
  const result = await runCli(['generate-key-pair', '--output-key-prefix', prefix], {env: {COSIGN_PASSWORD: password}})
  assert.equal(result.code, 0, result.stderr)
  const passwordFile = `${prefix}.password`
  writeFileSync(passwordFile, `${password}\n`)
  return {key: `${prefix}.key`, pub: `${prefix}.pub`, passwordFile, password}
}
