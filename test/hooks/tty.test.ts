import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'

import {type TestRegistry, startRegistry} from '../helpers/registry.js'
import {hostBin, installPlugin, isolatedEnv} from '../host/run-host.js'
import {type SigningSetup, signingSetup} from '../host/signing-setup.js'

const work = mkdtempSync(join(tmpdir(), 'tty-'))
// A tmux server of our own, its socket in our temp dir: nothing else's sessions are touched.
const socket = join(work, 'tmux.sock')
const SGR_COLOR = /\u001B\[3\dm/

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-S', socket, ...args], {encoding: 'utf8'})
}

function quote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`
}

/**
 * Runs `pack-ts ARGS` in a tmux pane (a real terminal: stdout and stderr are TTYs) and returns the
 * pane once the command has exited: the raw text with colors (-e), wrapped lines joined (-J).
 */
async function inTerminal(name: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  installPlugin()
  const assignments = Object.entries({...isolatedEnv(), ...env}).map(([k, v]) => `${k}=${quote(String(v))}`)
  const command = ['env', '-u', 'CI', '-u', 'NO_COLOR', '-u', 'FORCE_COLOR', ...assignments, process.execPath, hostBin, ...args.map(quote)].join(' ')
  tmux('new-session', '-d', '-s', name, '-x', '200', '-y', '50', '-c', work, `${command}; echo "exit=$?"; sleep 600`)
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    const pane = tmux('capture-pane', '-p', '-e', '-J', '-t', name)
    if (/^exit=\d+$/m.test(pane)) return pane
    await new Promise((resolve) => setTimeout(resolve, 100))
  }

  throw new Error(`${name}: the command did not finish in 30 s:\n${tmux('capture-pane', '-p', '-t', name)}`)
}

function plain(pane: string): string[] {
  return pane.replaceAll(/\u001B\[[0-9;]*m/g, '').split('\n').map((line) => line.trimEnd())
}

describe('progress in a real terminal (tmux)', () => {
  let registry: TestRegistry
  let keys: SigningSetup

  before(async () => {
    try {
      execFileSync('tmux', ['-V'], {stdio: 'ignore'})
    } catch {
      throw new Error('tmux not found: this test runs the CLI in a real terminal (apt-get install tmux)')
    }

    ;[registry, keys] = await Promise.all([startRegistry(), signingSetup(work)])
  })
  after(async () => {
    try {
      tmux('kill-server')
    } catch {
      // no session was started
    }

    await registry.stop()
  })

  const build = (repository: string) => ['build', `${registry.host}/${repository}:v1`, '--publish', '--sign', '--cosign-config', keys.cosignConfig]

  it('uses listr2\'s default renderer: the final frame is the task tree, all ✔, in color', async () => {
    const pane = await inTerminal('default', build('tty-default'))
    const lines = plain(pane)
    assert.ok(lines.includes('exit=0'), pane)
    for (const title of ['✔ Preflight: read access, digests, write access, keys', `  ✔ Read ${registry.host}/tty-default:v1`, '✔ Check preflight results', '✔ Sign', '✔ Read the SBOM from the image', '✔ Export the SBOM']) {
      assert.ok(lines.includes(title), `missing "${title}" in:\n${lines.join('\n')}`)
    }

    assert.ok(!lines.some((line) => /^\s*❯/.test(line)), 'no task left pending or repeated as a log line')
    assert.match(pane, SGR_COLOR)
  })

  it('honours NO_COLOR', async () => {
    const pane = await inTerminal('no-color', build('tty-no-color'), {NO_COLOR: '1'})
    assert.ok(plain(pane).includes('✔ Sign'), pane)
    assert.doesNotMatch(pane, SGR_COLOR)
  })

  it('prints one line per event when CI is set, even in a terminal', async () => {
    const lines = plain(await inTerminal('ci', build('tty-ci'), {CI: 'true'}))
    assert.ok(lines.includes('❯ Preflight: read access, digests, write access, keys'), lines.join('\n'))
    assert.ok(lines.includes('✔ Export the SBOM'), lines.join('\n'))
  })
})
