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
    assertTarInvalid(() => readAll(corrupt), /tar header after the entry "dir\/" has a bad checksum/)

    // Leading NULs: Go reads the digits after them, the Parser reads nothing (0).
    const badSize = header({name: 'f', size: 0, typeflag: '0'})
    badSize.write('\x00\x00\x00\x00\x00\x00\x00\x00011\x00', 124, 'latin1')
    assertTarInvalid(() => readAll(Buffer.concat([withChecksum(badSize), pad(Buffer.from('123456789')), TAR_END])), /"f" has an invalid size field/)

    for (const body of [Buffer.from('5 a=b\n'), Buffer.from('11 noequals\n'), Buffer.from('100 path=a\n'), Buffer.from('9 size=-1\n'), Buffer.from('011 path=a\n')]) {
      const archive = Buffer.concat([header({name: 'x', size: body.length, typeflag: 'x'}), pad(body), entryBytes({path: 'f', content: ''}), TAR_END])
      assertTarInvalid(() => readAll(archive), /pax header before the first entry/)
    }

    const big = Buffer.alloc(2000, 0x61)
    const archive = Buffer.concat([header({name: '././@LongLink', size: big.length, typeflag: 'L'}), pad(big), TAR_END])
    assertTarInvalid(() => readAll(archive, 512, {maxMetadataBytes: 1000}), /GNU long-name header before the first entry is 2000 bytes, over the 1000-byte cap/)
    const global = Buffer.concat(Array.from({length: 60}, () => paxRecord('comment', 'c'.repeat(20))))
    const globalArchive = Buffer.concat([header({name: 'g', size: global.length, typeflag: 'g'}), pad(global), entryBytes({path: 'f', content: ''}), TAR_END])
    assertTarInvalid(() => readAll(globalArchive, 512, {maxMetadataBytes: 1000}), /pax header before the first entry is \d+ bytes, over the 1000-byte cap/)
  })

  it('refuses a long name with no entry after it, and truncation anywhere', () => {
    const orphan = Buffer.concat([header({name: '././@LongLink', size: 4, typeflag: 'L'}), pad(Buffer.from('abc\0')), TAR_END])
    assertTarInvalid(() => readAll(orphan), /has no entry to apply to/)
    for (const cut of [0, 100, 512, 600, 1536]) {
      assertTarInvalid(() => readAll(tar.subarray(0, cut)), /truncated/)
    }
  })

  it('refuses a stream that starts like gzip (the Parser would inflate it past our limits)', () => {
    const h = header({name: 'xxname', size: 0, typeflag: '0'})
    h[0] = 0x1f
    h[1] = 0x8b
    const archive = Buffer.concat([withChecksum(h), TAR_END])
    for (const size of [1, 2, 512]) assertTarInvalid(() => readAll(archive, size), /starts with a gzip header/)
  })

  it('stops at one zero block, ignoring junk or entries after it', () => {
    const {entries} = readAll(Buffer.concat([entryBytes({path: 'a', content: 'A'}), Buffer.alloc(512), Buffer.from('junk'.repeat(300))]), 100)
    assert.deepEqual(entries.map((e) => e.path), ['a'])
  })
})

/** Builds an archive from raw pieces: `[header fields, body]` pairs and plain buffers. */
function raw(...parts: (Buffer | [Parameters<typeof header>[0], Buffer])[]): Buffer {
  return Buffer.concat([...parts.flatMap((part) => (Buffer.isBuffer(part) ? [part] : [header(part[0]), pad(part[1])])), TAR_END])
}

const SBOM = 'layers/sbom/launch/bp/sbom.cdx.json'

// Each archive below is one that Go's archive/tar (the lifecycle's writer, and what runtimes read)
// and npm's tar Parser read differently; the reader must read what Go reads, or refuse.
describe('TarReader on archives Go and the tar Parser read differently', () => {
  const chunkings = [1, 7, 512, 4096, 1 << 20]

  it('reads no data for links, devices and FIFOs whatever their size field says (Go: header-only)', () => {
    for (const typeflag of ['1', '2', '3', '4', '6']) {
      const archive = raw([{name: 'special', size: 512, typeflag, linkname: typeflag < '3' ? 't' : undefined}, Buffer.alloc(0)], entryBytes({path: SBOM, content: '{}'}))
      for (const size of chunkings) {
        const {entries, contents} = readAll(archive, size)
        assert.deepEqual(entries.map((e) => [e.path, e.size]), [['special', 0], [SBOM, 2]], `typeflag ${typeflag}`)
        assert.equal(contents.get(SBOM), '{}')
      }
    }
  })

  it('refuses a size from a global pax header (Go ignores it, the Parser applies it)', () => {
    const global = paxRecord('size', '512')
    const archive = raw([{name: 'g', size: global.length, typeflag: 'g'}, global], entryBytes({path: 'a', content: ''}), entryBytes({path: SBOM, content: '{}'}))
    assertTarInvalid(() => readAll(archive), /global pax header before "a" sets "size"/)
  })

  it('refuses pax records with a newline inside (the Parser splits records at newlines)', () => {
    const inner = paxRecord('path', SBOM).toString().trimEnd()
    for (const record of [paxRecord('path', `x\n${inner}`), paxRecord(`a\n${inner.split('=')[0]}`, SBOM)]) {
      const archive = raw([{name: 'x', size: record.length, typeflag: 'x'}, record], entryBytes({path: 'innocent', content: '{}'}))
      assertTarInvalid(() => readAll(archive), /pax header before the first entry has a newline or NUL inside/)
    }
  })

  it('refuses two pax headers, or a GNU long name after a pax path, for one entry', () => {
    const first = paxRecord('path', 'first')
    const second = paxRecord('mtime', '1')
    assertTarInvalid(() => readAll(raw([{name: 'x', size: first.length, typeflag: 'x'}, first], [{name: 'x', size: second.length, typeflag: 'x'}, second], entryBytes({path: 'u', content: ''}))), /more than one pax header/)
    const long = Buffer.from('gnu-path\0')
    assertTarInvalid(() => readAll(raw([{name: 'x', size: first.length, typeflag: 'x'}, first], [{name: '././@LongLink', size: long.length, typeflag: 'L'}, long], entryBytes({path: 'u', content: ''}))), /GNU long name after a pax path/)
    // The other order is fine: the pax path wins in both.
    const {entries} = readAll(raw([{name: '././@LongLink', size: long.length, typeflag: 'L'}, long], [{name: 'x', size: first.length, typeflag: 'x'}, first], entryBytes({path: 'u', content: ''})))
    assert.deepEqual(entries.map((e) => e.path), ['first'])
  })

  it('refuses a name the Parser cuts at a NUL only up to a newline (Go cuts at the NUL)', () => {
    const h = header({name: 'x', size: 2, typeflag: '0'})
    h.fill(0, 0, 100)
    h.write('layers/sbom/launch/b\0junk\np/sbom.cdx.json', 0, 'latin1')
    assertTarInvalid(() => readAll(Buffer.concat([withChecksum(h), pad(Buffer.from('{}')), TAR_END])), /contains a newline/)
    const long = Buffer.from('layers/sbom/launch/b\0junk\np/sbom.cdx.json\0')
    assertTarInvalid(() => readAll(raw([{name: '././@LongLink', size: long.length, typeflag: 'L'}, long], entryBytes({path: 'u', content: '{}'}))), /contains a newline/)
  })

  it('reads a non-ASCII pax path right, or refuses it, whatever the chunking (the Parser decodes long bodies piecewise)', () => {
    const path = `layers/sbom/launch/bp/${'é'.repeat(300)}/sbom.cdx.json`
    const archive = Buffer.concat([entryBytes({path, content: '{}', longPath: 'pax'}), TAR_END])
    for (const size of chunkings) {
      try {
        assert.deepEqual(readAll(archive, size).entries.map((e) => e.path), [path])
      } catch (error) {
        assert.ok(isPluginError(error) && /is not valid UTF-8/.test(error.message), String(error))
      }
    }
  })

  const GAP = 'the tar Parser shows no hook for it; the hand-written reader read these as Go does'
  it('reads an old GNU long name (N) as a plain entry, as Go does', {todo: GAP}, () => {
    const long = Buffer.from(`${SBOM}\0`)
    const {entries} = readAll(raw([{name: 'n', size: long.length, typeflag: 'N'}, long], entryBytes({path: 'innocent', content: '{}'})))
    assert.deepEqual(entries.map((e) => e.path), ['n', 'innocent'])
  })

  it('reads a Solaris extended header (X) as a plain entry, as Go does', {todo: GAP}, () => {
    const record = paxRecord('path', SBOM)
    const {entries} = readAll(raw([{name: 'X', size: record.length, typeflag: 'X'}, record], entryBytes({path: 'innocent', content: '{}'})))
    assert.deepEqual(entries.map((e) => e.path), ['X', 'innocent'])
  })

  it('refuses a pax header whose size field starts with NULs (Go reads the digits, the Parser 0)', {todo: GAP}, () => {
    const h = header({name: 'x', size: 0, typeflag: 'x'})
    h.write('\x00\x00\x00\x00\x00\x00\x00\x00001000\x00', 124, 'latin1')
    const smuggled = Buffer.concat([header({name: SBOM, size: 2, typeflag: '0'}), pad(Buffer.from('{}'))])
    assertTarInvalid(() => readAll(Buffer.concat([withChecksum(h), smuggled, TAR_END])), /invalid size field/)
  })
})
