import assert from 'node:assert/strict'
import {readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {pathToFileURL} from 'node:url'

import {repoRoot} from '../helpers/paths.js'

/** oclif.manifest.json is what hosts load without importing commands: it must match the code. */
describe('oclif.manifest.json', () => {
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'oclif.manifest.json'), 'utf8')) as {
    commands: Record<string, {flags: Record<string, unknown>}>
  }
  const sources = readdirSync(join(repoRoot, 'src', 'commands'), {recursive: true})
    .map(String)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.replace(/\.ts$/, '').replaceAll('/', ':'))
    .sort()

  it('lists every command in src/commands', () => {
    assert.deepEqual(Object.keys(manifest.commands).sort(), sources)
  })

  for (const id of sources) {
    it(`has the current flags of ${id}`, async () => {
      const module = await import(pathToFileURL(join(repoRoot, 'dist', 'commands', `${id.replaceAll(':', '/')}.js`)).href)
      const flags = Object.keys({...module.default.flags, ...(module.default.enableJsonFlag ? {json: true} : {})}).sort()
      assert.deepEqual(Object.keys(manifest.commands[id]?.flags ?? {}).sort(), flags)
    })
  }
})
