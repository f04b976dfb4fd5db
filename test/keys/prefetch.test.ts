import assert from 'node:assert/strict'
import {generateKeyPairSync} from 'node:crypto'
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {encryptKey} from '../../src/keys/encrypted.js'
import {deriveKey, parseEncryptedKey} from '../../src/keys/encrypted-format.js'
import {forgetLoadedSigners, loadSigner, passwordSource} from '../../src/keys/index.js'
import {decodePemBlocks} from '../../src/keys/pem.js'
import {flagValue, prefetchKeyDerivation} from '../../src/keys/prefetch.js'
import {rejectsWith, tempDir} from './support.js'

const pkcs8 = () => generateKeyPairSync('ec', {namedCurve: 'P-256'}).privateKey.export({type: 'pkcs8', format: 'der'})

async function encryptedKeyFile(dir: string, password: string): Promise<string> {
  const path = join(dir, 'cosign.key')
  await writeFile(path, await encryptKey(pkcs8(), Buffer.from(password)))
  return path
}

describe('key derivation started before oclif loads', () => {
  it('reads --flag value and --flag=value as oclif does, the last one winning, nothing after --', () => {
    assert.equal(flagValue(['sign', 'img', '--key', 'a.key'], '--key'), 'a.key')
    assert.equal(flagValue(['sign', '--key=b.key', 'img'], '--key'), 'b.key')
    assert.equal(flagValue(['sign', '--key', 'a.key', '--key=b.key'], '--key'), 'b.key')
    assert.equal(flagValue(['sign', '--', '--key', 'a.key'], '--key'), undefined)
    assert.equal(flagValue(['sign', '--keyless'], '--key'), undefined)
    assert.equal(flagValue(['sign', '--key'], '--key'), undefined)
  })

  it('shares one scrypt between the same password, salt and parameters', async (t) => {
    const dir = await tempDir(t)
    const key = parseEncryptedKey(decodePemBlocks(await readFile(await encryptedKeyFile(dir, 'pw'), 'utf8'), 'k')[0]!.der, 'k')
    const first = deriveKey(Buffer.from('pw'), key.salt, key.scrypt)
    assert.equal(deriveKey(Buffer.from('pw'), key.salt, key.scrypt), first)
    assert.notEqual(deriveKey(Buffer.from('other'), key.salt, key.scrypt), first)
    await first
  })

  it('started from argv and COSIGN_PASSWORD, the command then loads the key as usual', async (t) => {
    const dir = await tempDir(t)
    const path = await encryptedKeyFile(dir, 'secret')
    prefetchKeyDerivation(['sign', 'img', '--key', path], {COSIGN_PASSWORD: 'secret'})
    forgetLoadedSigners()
    const signer = await loadSigner(path, passwordSource({env: {COSIGN_PASSWORD: 'secret'}, interactive: false}))
    assert.equal(signer.algorithm, 'ecdsa-p256-sha256')
  })

  it('says nothing and throws nothing about a bad key or password: the command reports those', async (t) => {
    const dir = await tempDir(t)
    const path = await encryptedKeyFile(dir, 'secret')
    const notAKey = join(dir, 'not-a-key')
    await writeFile(notAKey, 'hello')
    prefetchKeyDerivation(['sign', '--key', join(dir, 'missing.key')], {COSIGN_PASSWORD: 'x'})
    prefetchKeyDerivation(['sign', '--key', notAKey], {COSIGN_PASSWORD: 'x'})
    prefetchKeyDerivation(['sign', '--key', path, '--password-file', join(dir, 'missing')], {})
    prefetchKeyDerivation(['sign', '--key', path], {COSIGN_PASSWORD: 'wrong'})
    forgetLoadedSigners()
    await rejectsWith(loadSigner(path, passwordSource({env: {COSIGN_PASSWORD: 'wrong'}, interactive: false})), 'KEY_PASSWORD', 'wrong password')
  })
})
