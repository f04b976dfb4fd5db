import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {type FaultProxy, startFaultProxy} from '../helpers/fault-proxy.js'
import {pushImage, testClient} from '../helpers/images.js'
import {type TestKey, generateTestKey} from '../helpers/keys.js'
import {cliBin} from '../helpers/paths.js'
import {type TestRegistry, startRegistry} from '../helpers/registry.js'

/**
 * `sign IMAGE...` in a real terminal (a tmux pane): while it works, a counter on stderr says how
 * many images are done; at the end the pane holds the Signed lines and no leftover counter.
 */
const work = mkdtempSync(join(tmpdir(), 'sign-tty-'))
const socket = join(work, 'tmux.sock')
const tmux = (...args: string[]) => execFileSync('tmux', ['-S', socket, ...args], {encoding: 'utf8'})
const quote = (value: string) => `'${value.replaceAll("'", "'\\''")}'`

describe('sign IMAGE... in a terminal', () => {
  let registry: TestRegistry
  let proxy: FaultProxy
  let key: TestKey
  before(async () => {
    registry = await startRegistry()
    // Slow enough that the counter is on screen for a while.
    proxy = await startFaultProxy(registry.host, {slow: {path: /manifests\/sha256-[0-9a-f]{64}\.sig$/, delayMs: 150}})
    key = await generateTestKey(work, 'tty')
  })
  after(async () => {
    try {
      tmux('kill-server')
    } catch {
      // no session was started
    }

    await proxy.stop()
    await registry.stop()
  })

  it('shows "Signing: N of 12 images done" while it works, then the Signed lines', async () => {
    const images = await Promise.all(Array.from({length: 12}, (_, i) => pushImage(testClient(), `${registry.host}/tty/app${i}:v1`)))
    const names = images.map((image) => `${proxy.host}/${image.repository.path}:v1`)
    const command = ['env', '-u', 'CI', process.execPath, cliBin, 'sign', ...names, '--key', key.key, '--password-file', key.passwordFile, '--concurrency', '2'].map(quote).join(' ')
    tmux('new-session', '-d', '-s', 'sign', '-x', '250', '-y', '50', `${command}; echo "exit=$?"; sleep 600`)
    const counters = new Set<string>()
    let pane = ''
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline && !/^exit=\d+$/m.test(pane)) {
      pane = tmux('capture-pane', '-p', '-t', 'sign')
      for (const match of pane.matchAll(/Signing: (\d+) of 12 images done/g)) counters.add(match[1]!)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }

    assert.match(pane, /^exit=0$/m, pane)
    assert.ok(counters.size >= 2, `the counter moved: saw ${[...counters].join(', ')}`)
    assert.equal(pane.split('\n').filter((line) => /^Signed /.test(line)).length, 12, pane)
    assert.doesNotMatch(pane, /Signing: \d+ of 12 images done/, 'no counter left on screen')
  })
})
