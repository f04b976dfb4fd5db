import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {generateKeyPairSync} from 'node:crypto'
import {readFile, rename, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {encryptKey} from '../../src/keys/encrypted.js'
import {deriveKey, derivationStarted, parseEncryptedKey} from '../../src/keys/encrypted-format.js'
import {forgetLoadedSigners, loadSigner, passwordSource} from '../../src/keys/index.js'
import {decodePemBlocks} from '../../src/keys/pem.js'
import {flagValue, prefetchConfigKeys, prefetchKeyDerivation} from '../../src/keys/prefetch.js'
import {cliBin} from '../helpers/paths.js'
import {rejectsWith, tempDir} from './support.js'

const pkcs8 = () => generateKeyPairSync('ec', {namedCurve: 'P-256'}).privateKey.export({type: 'pkcs8', format: 'der'})

async function encryptedKeyFile(dir: string, password: string): Promise<string> {
  const path = join(dir, 'cosign.key')
  await writeFile(path, await encryptKey(pkcs8(), Buffer.from(password)))
  return path
}

/** A key file encrypted in another process, so this one has not derived its key yet. */
function keyFromAnotherProcess(dir: string, password: string, name: string): string {
  const prefix = join(dir, name)
  execFileSync(process.execPath, [cliBin, 'generate-key-pair', '--output-key-prefix', prefix], {env: {...process.env, COSIGN_PASSWORD: password}, stdio: 'ignore'})
  return `${prefix}.key`
}

/** Whether the key file's scrypt with this password has started in this process. */
async function started(path: string, password: string): Promise<boolean> {
  const key = parseEncryptedKey(decodePemBlocks(await readFile(path, 'utf8'), path)[0]!.der, path)
  return derivationStarted(Buffer.from(password), key.salt, key.scrypt)
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

  it('sign --key: the derivation is under way when the command starts', async (t) => {
    const dir = await tempDir(t)
    const path = keyFromAnotherProcess(dir, 'early', 'early')
    assert.equal(await started(path, 'early'), false)
    prefetchKeyDerivation(['sign', 'img', `--key=${path}`], {COSIGN_PASSWORD: 'early'})
    assert.equal(await started(path, 'early'), true)
  })

  it('sign --cosign-config: every key of cosign.toml, paths relative to its folder, password file or COSIGN_PASSWORD', async (t) => {
    const dir = await tempDir(t)
    const first = keyFromAnotherProcess(dir, 'one', 'first')
    const second = keyFromAnotherProcess(dir, 'two', 'second')
    assert.equal(await started(first, 'one'), false)
    await writeFile(join(dir, 'first.password'), 'one\n')
    const config = join(dir, 'cosign.toml')
    await writeFile(config, '[[configs]]\nkey = "first.key"\npassword = "first.password"\n[[configs]]\nkey = "second.key"\n[[configs]]\nkeyless = true\n')
    await prefetchConfigKeys(['sign', '--report', 'report.toml', '--cosign-config', config], {COSIGN_PASSWORD: 'two'})
    assert.equal(await started(first, 'one'), true)
    assert.equal(await started(second, 'two'), true)
    // Broken or absent configs are the command's to report.
    await writeFile(join(dir, 'broken.toml'), '[[configs]\nkey = ')
    await prefetchConfigKeys(['sign', '--cosign-config', join(dir, 'broken.toml')], {})
    await prefetchConfigKeys(['sign', '--cosign-config', join(dir, 'missing.toml')], {})
  })

  it('skips pkcs11: keys (no scrypt, no file read), even where a file has the URI as its name', async (t) => {
    const dir = await tempDir(t)
    const uri = 'pkcs11:token=T;object=k'
    const decoy = join(dir, uri)
    await rename(keyFromAnotherProcess(dir, 'decoy', 'decoy'), decoy)
    const config = join(dir, 'cosign.toml')
    await writeFile(config, `[[configs]]\nkey = "${uri}"\n`)
    await prefetchConfigKeys(['sign', '--report', 'report.toml', '--cosign-config', config], {COSIGN_PASSWORD: 'decoy'})
    const cwd = process.cwd()
    process.chdir(dir)
    try {
      prefetchKeyDerivation(['sign', 'img', '--key', uri], {COSIGN_PASSWORD: 'decoy'})
      prefetchKeyDerivation(['sign', 'img', `--key=${uri}`], {COSIGN_PASSWORD: 'decoy'})
    } finally {
      process.chdir(cwd)
    }

    assert.equal(await started(decoy, 'decoy'), false)
    // The same file by its path is prefetched: the URI, not the file, was skipped.
    prefetchKeyDerivation(['sign', 'img', '--key', decoy], {COSIGN_PASSWORD: 'decoy'})
    assert.equal(await started(decoy, 'decoy'), true)
  })
})
