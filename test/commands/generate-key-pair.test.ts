/** The command as users run it: `node bin/run.js generate-key-pair` (needs `npm run build`). */
import assert from 'node:assert/strict'
import {existsSync} from 'node:fs'
import {readFile, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {before, describe, it} from 'node:test'

import {loadSigner, staticPassword} from '../../src/keys/index.js'
import {ROOT, run, tempDir} from '../keys/support.js'

const RUN = join(ROOT, 'bin/run.js')
const cli = (args: string[], cwd: string, env: Record<string, string> = {}) =>
  run(process.execPath, [RUN, 'generate-key-pair', ...args], {cwd, env})

function assertCleanFailure(result: {code: number | null; stderr: string}, fragment: string) {
  assert.notEqual(result.code, 0)
  assert.ok(!result.stderr.includes('    at '), `stack trace in stderr:\n${result.stderr}`)
  const lines = result.stderr.split('\n').filter((line) => line.trim() !== '')
  assert.equal(lines.length, 1, `expected one error line:\n${result.stderr}`)
  assert.ok(lines[0]!.includes(fragment), result.stderr)
}

describe('generate-key-pair command', () => {
  before(() => {
    assert.ok(existsSync(join(ROOT, 'dist/commands/generate-key-pair.js')), 'run `npm run build` first')
  })

  it('writes cosign.key (0600) and cosign.pub and says so on stderr', async (t) => {
    const dir = await tempDir(t)
    const result = await cli([], dir, {COSIGN_PASSWORD: 'pw'})
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stderr, /^Private key written to cosign\.key\nPublic key written to cosign\.pub\n$/)
    assert.equal((await stat(join(dir, 'cosign.key'))).mode & 0o777, 0o600)
    const signer = await loadSigner(join(dir, 'cosign.key'), staticPassword('pw'))
    assert.equal(signer.publicKeyPem, await readFile(join(dir, 'cosign.pub'), 'utf8'))
  })

  it('a second run refuses to overwrite: one error line, exit 3, no stack trace; --force overwrites', async (t) => {
    const dir = await tempDir(t)
    assert.equal((await cli([], dir, {COSIGN_PASSWORD: 'pw'})).code, 0)
    const before = await readFile(join(dir, 'cosign.key'), 'utf8')
    const again = await cli([], dir, {COSIGN_PASSWORD: 'pw'})
    assertCleanFailure(again, 'cosign.key already exists; pass --force to overwrite it')
    assert.equal(again.code, 3)
    assert.equal(await readFile(join(dir, 'cosign.key'), 'utf8'), before)
    const forced = await cli(['--force'], dir, {COSIGN_PASSWORD: 'pw'})
    assert.equal(forced.code, 0, forced.stderr)
    assert.notEqual(await readFile(join(dir, 'cosign.key'), 'utf8'), before)
  })

  it('--output-key-prefix and --password-file (one trailing newline stripped), --json result', async (t) => {
    const dir = await tempDir(t)
    await writeFile(join(dir, 'pw.txt'), 'from file\n')
    const result = await cli(['--output-key-prefix', 'release', '--password-file', 'pw.txt', '--json'], dir)
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(JSON.parse(result.stdout), {privateKey: 'release.key', publicKey: 'release.pub'})
    await loadSigner(join(dir, 'release.key'), staticPassword('from file'))
  })

  it('without a password and without a terminal fails cleanly', async (t) => {
    const dir = await tempDir(t)
    const result = await cli([], dir)
    assertCleanFailure(result, 'set COSIGN_PASSWORD or pass --password-file')
    assert.equal(existsSync(join(dir, 'cosign.key')), false)
  })

  it('a missing password file fails cleanly, naming it', async (t) => {
    const dir = await tempDir(t)
    assertCleanFailure(await cli(['--password-file', 'nope.txt'], dir), 'password file nope.txt not found')
  })
})
