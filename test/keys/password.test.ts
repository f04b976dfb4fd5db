import assert from 'node:assert/strict'
import {EventEmitter} from 'node:events'
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {newKeyPassword, passwordSource, readPasswordFile} from '../../src/keys/index.js'
import {type PromptInput, promptHidden} from '../../src/keys/prompt.js'
import {rejectsWith, tempDir} from './support.js'

const noPrompt = async (): Promise<string> => assert.fail('must not prompt')

describe('password sources', () => {
  it('password file strips exactly one trailing newline (LF or CRLF)', async (t) => {
    const dir = await tempDir(t)
    const cases: Array<[string, string]> = [
      ['secret', 'secret'],
      ['secret\n', 'secret'],
      ['secret\n\n', 'secret\n'],
      ['secret\r\n', 'secret'],
      [' spaced \n', ' spaced '],
      ['\n', ''],
      ['', ''],
    ]
    for (const [index, [contents, expected]] of cases.entries()) {
      const file = join(dir, `pw${index}`)
      await writeFile(file, contents)
      assert.equal((await readPasswordFile(file)).toString(), expected, JSON.stringify(contents))
    }
  })

  it('missing password file → clear error naming it', async (t) => {
    const file = join(await tempDir(t), 'absent.txt')
    await rejectsWith(passwordSource({passwordFile: file, env: {}})('k.key'), 'KEY_NOT_FOUND', `password file ${file} not found`)
  })

  it('order: password file, then COSIGN_PASSWORD, then prompt', async (t) => {
    const file = join(await tempDir(t), 'pw')
    await writeFile(file, 'from-file\n')
    const env = {COSIGN_PASSWORD: 'from-env'}
    const fromFile = passwordSource({passwordFile: file, env, interactive: true, prompt: noPrompt})
    assert.equal((await fromFile('k.key')).toString(), 'from-file')
    const fromEnv = passwordSource({env, interactive: true, prompt: noPrompt})
    assert.equal((await fromEnv('k.key')).toString(), 'from-env')
    const questions: string[] = []
    const prompted = passwordSource({
      env: {},
      interactive: true,
      async prompt(question) {
        questions.push(question)
        return 'typed'
      },
    })
    assert.equal((await prompted('my.key')).toString(), 'typed')
    assert.deepEqual(questions, ['Enter password for private key my.key: '])
  })

  it('an empty COSIGN_PASSWORD is an empty password, as in cosign', async () => {
    const source = passwordSource({env: {COSIGN_PASSWORD: ''}, interactive: true, prompt: noPrompt})
    assert.equal((await source('k.key')).length, 0)
  })

  it('no file, no env, no terminal → KEY_PASSWORD naming the key', async () => {
    await rejectsWith(
      passwordSource({env: {}, interactive: false})('k.key'),
      'KEY_PASSWORD',
      'k.key is encrypted: set COSIGN_PASSWORD or pass --password-file',
    )
  })

  it('a new key asks twice and refuses a mismatch', async () => {
    const answers = ['one', 'two']
    await rejectsWith(
      newKeyPassword('cosign.key', {env: {}, interactive: true, prompt: async () => answers.shift()!}),
      'KEY_PASSWORD',
      'passwords do not match',
    )
    const same = ['same', 'same']
    const password = await newKeyPassword('cosign.key', {env: {}, interactive: true, prompt: async () => same.shift()!})
    assert.equal(password.toString(), 'same')
    await rejectsWith(newKeyPassword('cosign.key', {env: {}, interactive: false}), 'KEY_PASSWORD', 'COSIGN_PASSWORD')
  })
})

/** A stand-in for a TTY stdin in raw mode. */
class FakeTty extends EventEmitter implements PromptInput {
  isRaw = false
  modes: boolean[] = []
  setRawMode(mode: boolean) {
    this.modes.push(mode)
    this.isRaw = mode
  }

  pending: string[] = []
  setEncoding() {}
  pause() {}
  // Like a Readable: text pushed back is delivered to whoever listens next.
  unshift(chunk: string) {
    this.pending.unshift(chunk)
  }

  resume() {
    const chunk = this.pending.shift()
    if (chunk !== undefined) setImmediate(() => this.emit('data', chunk))
  }
}

describe('hidden prompt', () => {
  it('prompts on the given output, echoes nothing, handles backspace, restores the mode', async () => {
    const input = new FakeTty()
    let written = ''
    const answer = promptHidden('Password: ', input, {write: (text: string) => (written += text)})
    input.emit('data', 'sekx')
    input.emit('data', '\u007Fret\r')
    assert.equal(await answer, 'sekret')
    assert.equal(written, 'Password: \n')
    assert.deepEqual(input.modes, [true, false])
    assert.equal(input.listenerCount('data'), 0)
  })

  it('text pasted past Enter goes to the next prompt (password, then "again")', async () => {
    const input = new FakeTty()
    const output = {write() {}}
    const first = promptHidden('Password: ', input, output)
    input.emit('data', 'pw1\r\npw2\r')
    assert.equal(await first, 'pw1')
    assert.equal(await promptHidden('Again: ', input, output), 'pw2')
  })

  it('Ctrl-C cancels with KEY_PASSWORD', async () => {
    const input = new FakeTty()
    const answer = promptHidden('Password: ', input, {write() {}})
    input.emit('data', 'abc\u0003')
    await rejectsWith(answer, 'KEY_PASSWORD', 'cancelled')
    assert.equal(input.isRaw, false)
  })
})
