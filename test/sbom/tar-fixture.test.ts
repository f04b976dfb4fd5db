import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'

import {buildTar} from '../fixtures/tar.js'

// The tar writer builds every layer the other tests read, so check it against GNU tar once:
// if both our reader and our writer were wrong the same way, the reader tests would still pass.
describe('test/fixtures/tar.ts writer, checked with the system tar', () => {
  const longDir = `layers/sbom/launch/${'a'.repeat(60)}/${'b'.repeat(70)}`
  const veryLong = `layers/sbom/launch/${'x'.repeat(150)}/${'y'.repeat(120)}/sbom.cdx.json`
  const entries = [
    {path: 'layers', type: 'dir' as const},
    {path: 'layers/sbom/launch/bp/sbom.cdx.json', content: '{"a":1}'},
    {path: `${longDir}/sbom.spdx.json`, content: '{"ustar":"prefix"}'}, // fits ustar's prefix + name
    {path: veryLong, content: '{"pax":true}'}, // too long for ustar: pax header
    {path: `layers/gnu/${'g'.repeat(120)}/sbom.syft.json`, content: '{"gnu":true}', longPath: 'gnu' as const},
    {path: 'empty', content: ''},
    {path: 'block', content: Buffer.alloc(512, 0x41)},
  ]

  it('lists the same names and sizes, and extracts the same bytes', (t) => {
    const probe = spawnSync('tar', ['--version'])
    if (probe.status !== 0) {
      t.skip('no system tar')
      return
    }

    const dir = mkdtempSync(join(tmpdir(), 'sbom-tar-'))
    try {
      const file = join(dir, 'layer.tar')
      writeFileSync(file, buildTar(entries))
      const list = spawnSync('tar', ['-tvf', file], {encoding: 'utf8'})
      assert.equal(list.status, 0, list.stderr)
      assert.equal(list.stderr, '')
      const lines = list.stdout.trim().split('\n')
      assert.equal(lines.length, entries.length)
      for (const [i, entry] of entries.entries()) {
        const line = lines[i]
        const expectedName = entry.type === 'dir' ? `${entry.path}/` : entry.path
        assert.ok(line.endsWith(` ${expectedName}`), `line ${i}: ${line}`)
        const size = entry.type === 'dir' ? 0 : Buffer.byteLength(entry.content ?? '')
        assert.match(line, new RegExp(`^${entry.type === 'dir' ? 'd' : '-'}rw`))
        assert.match(line, new RegExp(` ${size} 1970-01-01 `))
      }

      for (const entry of entries.filter((e) => e.type !== 'dir')) {
        const out = spawnSync('tar', ['-xOf', file, entry.path])
        assert.equal(out.status, 0, out.stderr.toString())
        assert.deepEqual(out.stdout, Buffer.from(entry.content ?? ''))
      }
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
