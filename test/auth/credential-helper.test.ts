import assert from 'node:assert/strict'
import {readFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {getFromCredentialHelper} from '../../src/auth/credential-helper.js'
import {SENTINEL, TEST_HELPER, envWith, installHelper, rejectsWith, tempDir} from './fixtures.js'

describe('docker-credential-* helpers', () => {
  it('returns basic credentials, writing the server URL on stdin', async (t) => {
    const dir = await tempDir(t)
    await installHelper(dir, 'testhelper', TEST_HELPER)
    const log = join(dir, 'log')
    const credential = await getFromCredentialHelper('testhelper', '127.0.0.1:5000', '127.0.0.1:5000', {env: envWith(dir, {HELPER_LOG: log})})
    assert.deepEqual(credential, {kind: 'basic', username: 'alice', password: SENTINEL})
    assert.equal(await readFile(log, 'utf8'), '127.0.0.1:5000\n')
  })

  it('reads Username "<token>" as an identity token', async (t) => {
    const dir = await tempDir(t)
    await installHelper(dir, 'testhelper', TEST_HELPER)
    const credential = await getFromCredentialHelper('testhelper', 'https://index.docker.io/v1/', 'index.docker.io', {env: envWith(dir)})
    assert.deepEqual(credential, {kind: 'identity-token', token: 'hub-identity-token'})
  })

  it('treats "credentials not found" as no credentials', async (t) => {
    const dir = await tempDir(t)
    await installHelper(dir, 'testhelper', TEST_HELPER)
    assert.equal(await getFromCredentialHelper('testhelper', 'ghcr.io', 'ghcr.io', {env: envWith(dir)}), undefined)
    await installHelper(dir, 'stderrnotfound', 'echo "Credentials not found" >&2; exit 1')
    assert.equal(await getFromCredentialHelper('stderrnotfound', 'ghcr.io', 'ghcr.io', {env: envWith(dir)}), undefined)
  })

  it('treats an empty answer as no credentials', async (t) => {
    const dir = await tempDir(t)
    await installHelper(dir, 'empty', `cat >/dev/null; echo '{"ServerURL":"ghcr.io","Username":"","Secret":""}'`)
    assert.equal(await getFromCredentialHelper('empty', 'ghcr.io', 'ghcr.io', {env: envWith(dir)}), undefined)
  })

  it('reports a crashing helper by name and registry, quoting stderr but never its JSON', async (t) => {
    const dir = await tempDir(t)
    await installHelper(dir, 'crash', `cat >/dev/null; echo '{"Username":"u","Secret":"${SENTINEL}"}'; echo "segmentation fault" >&2; exit 3`)
    const error = await rejectsWith(getFromCredentialHelper('crash', 'ghcr.io', 'ghcr.io', {env: envWith(dir)}), 'CREDENTIAL_HELPER')
    assert.match(error.message, /docker-credential-crash failed \(exit 3\): segmentation fault for ghcr\.io/)
  })

  it('does not quote a failing helper whose only output is JSON', async (t) => {
    const dir = await tempDir(t)
    await installHelper(dir, 'crashjson', `cat >/dev/null; echo '{"Username":"u","Secret":"${SENTINEL}"}'; exit 4`)
    const error = await rejectsWith(getFromCredentialHelper('crashjson', 'ghcr.io', 'ghcr.io', {env: envWith(dir)}), 'CREDENTIAL_HELPER')
    assert.match(error.message, /docker-credential-crashjson failed \(exit 4\) for ghcr\.io/)
  })

  it('rejects output that is not JSON without quoting it', async (t) => {
    const dir = await tempDir(t)
    await installHelper(dir, 'garbage', `cat >/dev/null; printf '{"Username":"u","Secret":"${SENTINEL}"'`)
    await rejectsWith(getFromCredentialHelper('garbage', 'ghcr.io', 'ghcr.io', {env: envWith(dir)}), 'CREDENTIAL_HELPER', /docker-credential-garbage returned output that is not credentials JSON for ghcr\.io/)
    await installHelper(dir, 'badtypes', `cat >/dev/null; echo '{"Username":1,"Secret":"${SENTINEL}"}'`)
    await rejectsWith(getFromCredentialHelper('badtypes', 'ghcr.io', 'ghcr.io', {env: envWith(dir)}), 'CREDENTIAL_HELPER', /Username or Secret is not a string/)
  })

  it('reports a helper missing from PATH', async (t) => {
    const dir = await tempDir(t)
    await rejectsWith(
      getFromCredentialHelper('nosuch', 'ghcr.io', 'ghcr.io', {env: envWith(dir)}),
      'CREDENTIAL_HELPER',
      /docker-credential-nosuch not found on PATH/,
    )
  })

  it('gives up on a helper that hangs', async (t) => {
    const dir = await tempDir(t)
    await installHelper(dir, 'hang', 'exec sleep 30')
    await rejectsWith(
      getFromCredentialHelper('hang', 'ghcr.io', 'ghcr.io', {env: envWith(dir), timeoutMs: 200}),
      'CREDENTIAL_HELPER',
      /docker-credential-hang did not answer within/,
    )
  })
})
