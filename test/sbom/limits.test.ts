import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {createGzip, gzipSync} from 'node:zlib'

import {DEFAULT_SBOM_LIMITS, resolveLimits} from '../../src/sbom/limits.js'
import {readSbomDocuments} from '../../src/sbom/read.js'
import {buildTar, gzip, header, sha256Digest} from '../fixtures/tar.js'
import {assertSbomInvalid, chunked, OCI_GZIP, OCI_TAR} from './helpers.js'

const GiB = 1024 ** 3
const MiB = 1024 ** 2

/**
 * A gzip bomb, streamed: a tar header declaring `size` bytes at `path`, then that many zeros.
 * gzip members may be concatenated, so one small compressed member of 16 MiB of zeros is repeated
 * instead of deflating gigabytes: 2 GiB is about 2 MB compressed, made in milliseconds.
 */
async function* bomb(path: string, size: number): AsyncGenerator<Buffer> {
  yield gzipSync(header({name: path, size, typeflag: '0'}))
  const member = gzipSync(Buffer.alloc(16 * MiB), {level: 9})
  for (let sent = 0; sent < size; sent += 16 * MiB) yield member
}

/** Runs `fn` while sampling RSS; resolves to the peak growth over the starting RSS. */
async function peakRssGrowth(fn: () => Promise<unknown>): Promise<number> {
  const start = process.memoryUsage.rss()
  let peak = start
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss())
  }, 5)
  try {
    await fn()
  } finally {
    clearInterval(timer)
    peak = Math.max(peak, process.memoryUsage.rss())
  }

  return peak - start
}

describe('SBOM limits', () => {
  it('defaults to 256 MiB compressed, 1 GiB uncompressed, 256 MiB per document', () => {
    assert.deepEqual({...DEFAULT_SBOM_LIMITS}, {maxCompressedBytes: 256 * MiB, maxUncompressedBytes: GiB, maxDocumentBytes: 256 * MiB})
    assert.deepEqual(resolveLimits({maxDocumentBytes: 10}), {...DEFAULT_SBOM_LIMITS, maxDocumentBytes: 10})
    assert.throws(() => resolveLimits({maxUncompressedBytes: 0}), TypeError)
    assert.throws(() => resolveLimits({maxCompressedBytes: 1.5}), TypeError)
  })

  it('stops a 2 GiB gzip bomb at the 1 GiB default, while streaming, in bounded memory', async () => {
    // A file that is not an SBOM: skipped, so only the uncompressed-size limit can stop it.
    const started = Date.now()
    const growth = await peakRssGrowth(() =>
      assertSbomInvalid(
        readSbomDocuments(bomb('workspace/huge.bin', 2 * GiB), OCI_GZIP, sha256Digest(Buffer.alloc(0))),
        /uncompressed SBOM layer exceeds the uncompressed layer size limit \(maxUncompressedBytes = 1024 MiB\)/,
      ),
    )
    const seconds = (Date.now() - started) / 1000
    assert.ok(growth < 200 * MiB, `RSS grew by ${Math.round(growth / MiB)} MiB`)
    assert.ok(seconds < 60, `took ${seconds}s`)
  })

  it('refuses an oversized SBOM document at its header, before buffering any of it', async () => {
    const started = Date.now()
    const growth = await peakRssGrowth(() =>
      assertSbomInvalid(
        readSbomDocuments(bomb('layers/sbom/launch/bp/sbom.cdx.json', 2 * GiB), OCI_GZIP, sha256Digest(Buffer.alloc(0))),
        /SBOM document layers\/sbom\/launch\/bp\/sbom\.cdx\.json \(2147483648 bytes\) exceeds the SBOM document size limit \(maxDocumentBytes = 256 MiB\)/,
      ),
    )
    assert.ok(Date.now() - started < 5000, 'refused at the header, not after inflating')
    assert.ok(growth < 100 * MiB, `RSS grew by ${Math.round(growth / MiB)} MiB`)
  })

  it('applies lowered limits: uncompressed, document, compressed (buffer and stream)', async () => {
    const tar = buildTar([
      {path: 'layers/sbom/launch/bp/sbom.cdx.json', content: `{"pad":"${'x'.repeat(5000)}"}`},
      {path: 'filler', content: Buffer.alloc(100_000)},
    ])
    const blob = gzip(tar)
    const diffId = sha256Digest(tar)
    await assertSbomInvalid(readSbomDocuments(blob, OCI_GZIP, diffId, {maxUncompressedBytes: 50_000}), /maxUncompressedBytes = 50000 bytes/)
    await assertSbomInvalid(readSbomDocuments(tar, OCI_TAR, diffId, {maxUncompressedBytes: 50_000}), /maxUncompressedBytes = 50000 bytes/)
    await assertSbomInvalid(readSbomDocuments(blob, OCI_GZIP, diffId, {maxDocumentBytes: 4096}), /sbom\.cdx\.json \(5010 bytes\) exceeds the SBOM document size limit \(maxDocumentBytes = 4096 bytes\)/)
    await assertSbomInvalid(readSbomDocuments(blob, OCI_GZIP, diffId, {maxCompressedBytes: 100}), /SBOM layer \(\d+ bytes\) exceeds the compressed layer size limit/)
    await assertSbomInvalid(readSbomDocuments(chunked(blob, 50), OCI_GZIP, diffId, {maxCompressedBytes: 100}), /exceeds the compressed layer size limit \(maxCompressedBytes = 100 bytes\)/)
    await assertSbomInvalid(readSbomDocuments(chunked(tar, 50), OCI_TAR, diffId, {maxCompressedBytes: 100}), /compressed layer size limit/)
    // At the limit exactly is fine.
    const docs = await readSbomDocuments(blob, OCI_GZIP, diffId, {maxCompressedBytes: blob.length, maxUncompressedBytes: tar.length, maxDocumentBytes: 5010})
    assert.equal(docs.length, 1)
  })

  it('stops pulling from the source once a limit is hit', async () => {
    let pulled = 0
    async function* source(): AsyncGenerator<Buffer> {
      const gz = createGzip()
      const zeros = Buffer.alloc(MiB)
      gz.write(header({name: 'filler', size: 512 * MiB, typeflag: '0'}))
      for (let i = 0; i < 512; i++) gz.write(zeros)
      gz.end()
      for await (const chunk of gz) {
        pulled += (chunk as Buffer).length
        yield chunk as Buffer
      }
    }

    await assertSbomInvalid(readSbomDocuments(source(), OCI_GZIP, sha256Digest(Buffer.alloc(0)), {maxUncompressedBytes: MiB}), /maxUncompressedBytes = 1 MiB/)
    // Had reading gone on after the error, the whole ~0.5 MiB of compressed input would be pulled
    // in well under this wait; a read already in flight may still complete, hence the margin.
    await new Promise((resolve) => setTimeout(resolve, 300))
    assert.ok(pulled < 64 * 1024, `pulled ${pulled} compressed bytes for 1 MiB of output: the source was read on`)
  })
})
