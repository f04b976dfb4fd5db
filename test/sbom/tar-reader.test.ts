import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {isPluginError} from '../../src/errors.js'
import {type TarEntry, TarReader} from '../../src/sbom/tar-reader.js'
import {buildTar, entryBytes, header, pad, paxRecord, TAR_END, withChecksum} from '../fixtures/tar.js'

/** Reads a whole archive, fed in chunks of `size`, keeping every file's content. */
function readAll(tar: Buffer, size = tar.length, options = {}): {entries: TarEntry[]; contents: Map<string, string>} {
  const entries: TarEntry[] = []
  const contents = new Map<string, string>()
  const reader = new TarReader(
    {
      entry(entry) {
        entries.push(entry)
        return entry.type === 'file'
      },
      content(entry, data) {
        contents.set(entry.path, data.toString())
      },
    },
    options,
  )
  for (let at = 0; at < tar.length; at += size) reader.write(tar.subarray(at, at + size))
  reader.end()
  return {entries, contents}
}

function assertTarInvalid(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (error: unknown) => isPluginError(error) && error.code === 'SBOM_INVALID' && message.test(error.message))
}

describe('TarReader', () => {
  const tar = buildTar([
    {path: 'dir', type: 'dir'},
    {path: 'dir/a.txt', content: 'alpha'},
    {path: 'dir/exact', content: Buffer.alloc(512, 0x62)},
    {path: 'dir/empty', content: ''},
    {path: 'link', typeflag: '2', linkname: 'dir/a.txt'},
    {path: `p/${'x'.repeat(200)}`, content: 'pax', longPath: 'pax'},
    {path: `g/${'y'.repeat(200)}`, content: 'gnu', longPath: 'gnu'},
    {path: 'last', content: 'z'},
  ])

  it('reads entries and contents whatever the chunking', () => {
    const expected = readAll(tar)
    assert.deepEqual(
      expected.entries.map((e) => [e.path, e.type, e.size]),
      [
        ['dir/', 'directory', 0],
        ['dir/a.txt', 'file', 5],
        ['dir/exact', 'file', 512],
        ['dir/empty', 'file', 0],
        ['link', 'symlink', 0],
        [`p/${'x'.repeat(200)}`, 'file', 3],
        [`g/${'y'.repeat(200)}`, 'file', 3],
        ['last', 'file', 1],
      ],
    )
    assert.equal(expected.contents.get('dir/exact'), 'b'.repeat(512))
    assert.equal(expected.contents.get('dir/empty'), '')
    for (const size of [1, 7, 511, 513, 4096]) assert.deepEqual(readAll(tar, size), expected, `chunks of ${size}`)
  })

  it('takes the size from a pax header, and ignores global pax headers and GNU long link names', () => {
    const paxBody = Buffer.concat([paxRecord('mtime', '1.5'), paxRecord('size', '11'), paxRecord('path', 'from-pax')])
    const global = paxRecord('path', 'global-must-not-apply')
    const longLink = Buffer.from(`${'t'.repeat(150)}\0`)
    const archive = Buffer.concat([
      header({name: 'g', size: global.length, typeflag: 'g'}),
      pad(global),
      header({name: 'x', size: paxBody.length, typeflag: 'x'}),
      pad(paxBody),
      header({name: 'ignored-name', size: 0, typeflag: '0'}), // size 0 here: pax says 11
      pad(Buffer.from('hello world')),
      header({name: '././@LongLink', size: longLink.length, typeflag: 'K'}),
      pad(longLink),
      header({name: 'sym', size: 0, typeflag: '2', linkname: 'target'}),
      entryBytes({path: 'plain', content: 'p'}),
      TAR_END,
    ])
    const {entries, contents} = readAll(archive, 100)
    assert.deepEqual(entries.map((e) => [e.path, e.size]), [['from-pax', 11], ['sym', 0], ['plain', 1]])
    assert.equal(contents.get('from-pax'), 'hello world')
  })

  it('reads GNU base-256 sizes', () => {
    const h = header({name: 'big-format', size: 0, typeflag: '0'})
    h.fill(0, 124, 136)
    h[124] = 0x80
    h[135] = 3
    const {contents} = readAll(Buffer.concat([withChecksum(h), pad(Buffer.from('abc')), TAR_END]))
    assert.equal(contents.get('big-format'), 'abc')
  })

  it('ignores data blocks for header-only types whatever their size field says', () => {
    // A directory claiming 1024 bytes: Go and GNU tar read no data for it, so neither do we.
    const dir = header({name: 'd/', size: 1024, typeflag: '5'})
    const {entries} = readAll(Buffer.concat([dir, entryBytes({path: 'f', content: 'x'}), TAR_END]))
    assert.deepEqual(entries.map((e) => e.path), ['d/', 'f'])
  })

  it('treats a NUL-typed entry with a trailing slash as a directory (pre-POSIX tars)', () => {
    const old = header({name: 'layers/sbom/launch/bp/sbom.cdx.json/', size: 0, typeflag: '\0'})
    const {entries} = readAll(Buffer.concat([old, entryBytes({path: 'f', content: 'x'}), TAR_END]))
    assert.deepEqual(entries.map((e) => [e.path, e.type]), [['layers/sbom/launch/bp/sbom.cdx.json/', 'directory'], ['f', 'file']])
  })

  it('stops at the end-of-archive block and ignores what follows', () => {
    const {entries} = readAll(Buffer.concat([tar, Buffer.from('trailing garbage')]))
    assert.equal(entries.length, 8)
  })

  it('refuses a bad checksum, bad numbers, malformed pax and oversized metadata', () => {
    const corrupt = Buffer.from(tar)
    corrupt[512 + 10] ^= 0x01 // a name byte of the second header
    assertTarInvalid(() => readAll(corrupt), /header at byte 512 has a bad checksum/)

    const badSize = header({name: 'f', size: 0, typeflag: '0'})
    badSize.write('0000000009x\0', 124, 'latin1')
    assertTarInvalid(() => readAll(Buffer.concat([withChecksum(badSize), TAR_END])), /invalid size field/)

    for (const body of [Buffer.from('5 a=b\n'), Buffer.from('x path=a\n'), Buffer.from('11 noequals\n'), Buffer.from('100 path=a\n'), Buffer.from('9 size=-1\n')]) {
      const archive = Buffer.concat([header({name: 'x', size: body.length, typeflag: 'x'}), pad(body), entryBytes({path: 'f', content: ''}), TAR_END])
      assertTarInvalid(() => readAll(archive), /pax header at byte 0/)
    }

    const big = Buffer.alloc(2000, 0x61)
    const archive = Buffer.concat([header({name: '././@LongLink', size: big.length, typeflag: 'L'}), pad(big), TAR_END])
    assertTarInvalid(() => readAll(archive, 512, {maxMetadataBytes: 1000}), /GNU long-name header at byte 0 is 2000 bytes, over the 1000-byte cap/)
  })

  it('refuses a long name with no entry after it, and truncation anywhere', () => {
    const orphan = Buffer.concat([header({name: '././@LongLink', size: 4, typeflag: 'L'}), pad(Buffer.from('abc\0')), TAR_END])
    assertTarInvalid(() => readAll(orphan), /has no entry to apply to/)
    for (const cut of [0, 100, 512, 600, 1536]) {
      assertTarInvalid(() => readAll(tar.subarray(0, cut)), /truncated/)
    }
  })
})

/** Builds an archive from raw pieces: `[header fields, body]` pairs and plain buffers. */
function raw(...parts: (Buffer | [Parameters<typeof header>[0], Buffer])[]): Buffer {
  return Buffer.concat([...parts.flatMap((part) => (Buffer.isBuffer(part) ? [part] : [header(part[0]), pad(part[1])])), TAR_END])
}

const SBOM = 'layers/sbom/launch/bp/sbom.cdx.json'

// The lifecycle writes the layer with Go's archive/tar, and runtimes and `pack sbom download`
// read it with the same: the documents we attest must be the ones those see, at the same paths.
// npm's tar Parser reads each archive below differently (an entry hidden, or another's name
// taken), which is why the reader is not built on it (see the top of src/sbom/tar-reader.ts).
describe('TarReader reads crafted archives as Go does, or refuses them', () => {
  const chunkings = [1, 7, 512, 4096, 1 << 20]

  it('reads no data for links, devices and FIFOs whatever their size field says', () => {
    for (const typeflag of ['1', '2', '3', '4', '6']) {
      const archive = raw([{name: 'special', size: 512, typeflag, linkname: 't'}, Buffer.alloc(0)], entryBytes({path: SBOM, content: '{}'}))
      for (const size of chunkings) {
        const {entries, contents} = readAll(archive, size)
        assert.deepEqual(entries.map((e) => [e.path, e.size]), [['special', 0], [SBOM, 2]], `typeflag ${typeflag}`)
        assert.equal(contents.get(SBOM), '{}')
      }
    }
  })

  it('reads old GNU long names (N) and Solaris extended headers (X) as plain entries, not metadata', () => {
    const long = Buffer.from(`${SBOM}\0`)
    const record = paxRecord('path', SBOM)
    for (const [typeflag, body] of [['N', long], ['X', record]] as const) {
      const {entries} = readAll(raw([{name: typeflag, size: body.length, typeflag}, body], entryBytes({path: 'innocent', content: '{}'})))
      assert.deepEqual(entries.map((e) => [e.path, e.type]), [[typeflag, 'other'], ['innocent', 'file']])
    }
  })

  it('ignores global pax headers, their size included', () => {
    const global = paxRecord('size', '512')
    const archive = raw([{name: 'g', size: global.length, typeflag: 'g'}, global], entryBytes({path: 'a', content: ''}), entryBytes({path: SBOM, content: '{}'}))
    assert.deepEqual(readAll(archive).entries.map((e) => [e.path, e.size]), [['a', 0], [SBOM, 2]])
  })

  it('keeps a pax value with a newline whole, and reads record lengths with leading zeros', () => {
    const value = `x\n${paxRecord('path', SBOM).toString().trimEnd()}`
    const record = paxRecord('path', value)
    assert.deepEqual(readAll(raw([{name: 'x', size: record.length, typeflag: 'x'}, record], entryBytes({path: 'innocent', content: ''}))).entries.map((e) => e.path), [value])
    const padded = Buffer.from(`0${paxRecord('path', 'from-pax').toString()}`.replace(/^0(\d+)/, (_, n: string) => `0${Number(n) + 1}`))
    assert.deepEqual(readAll(raw([{name: 'x', size: padded.length, typeflag: 'x'}, padded], entryBytes({path: 'ustar-name', content: ''}))).entries.map((e) => e.path), ['from-pax'])
  })

  it('cuts a name at its first NUL, newline or not', () => {
    const h = header({name: 'x', size: 2, typeflag: '0'})
    h.fill(0, 0, 100)
    h.write('layers/sbom/launch/b\0junk\np/sbom.cdx.json', 0, 'latin1')
    assert.deepEqual(readAll(Buffer.concat([withChecksum(h), pad(Buffer.from('{}')), TAR_END])).entries.map((e) => e.path), ['layers/sbom/launch/b'])
    const long = Buffer.from('layers/sbom/launch/b\0junk\np/sbom.cdx.json\0')
    assert.deepEqual(readAll(raw([{name: '././@LongLink', size: long.length, typeflag: 'L'}, long], entryBytes({path: 'u', content: ''}))).entries.map((e) => e.path), ['layers/sbom/launch/b'])
  })

  it('refuses size fields with leading NULs, which Go reads and the tar Parser reads as 0', () => {
    for (const typeflag of ['0', 'x', 'L']) {
      const h = header({name: 'f', size: 0, typeflag})
      h.write('\x00\x00\x00\x00\x00\x00\x00\x00001000\x00', 124, 'latin1')
      const smuggled = Buffer.concat([header({name: SBOM, size: 2, typeflag: '0'}), pad(Buffer.from('{}'))])
      assertTarInvalid(() => readAll(Buffer.concat([withChecksum(h), smuggled, TAR_END])), /header at byte 0 has an invalid size field/)
    }
  })

  it('reads a long non-ASCII pax path the same whatever the chunking', () => {
    const path = `layers/sbom/launch/bp/${'é'.repeat(300)}/sbom.cdx.json`
    const archive = Buffer.concat([entryBytes({path, content: '{}', longPath: 'pax'}), TAR_END])
    for (const size of chunkings) assert.deepEqual(readAll(archive, size).entries.map((e) => e.path), [path], `chunks of ${size}`)
  })
})
