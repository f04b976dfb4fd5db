import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {isPluginError} from '../../src/errors.js'
import {
  DOCKER_HUB,
  type ImageReference,
  isLoopbackRegistry,
  manifestReference,
  parseReference,
  parseRepositoryName,
  referenceName,
  repositoryName,
} from '../../src/reference/reference.js'

/**
 * Image references by example, read as go-containerregistry (and so cosign) reads them: Docker
 * Hub is `index.docker.io`, one-word names get `library/`, a bare name means `:latest`, the first
 * component is a registry only when it has a `.` or a `:` or is `localhost`. The canonical name
 * (`referenceName`) is what cosign writes into a signature's `docker-reference`.
 */
const D = `sha256:${'0123456789abcdef'.repeat(4)}`

function parsed(input: string): {registry: string; path: string; tag?: string; digest?: string; name: string} {
  const reference = parseReference(input)
  return {
    registry: reference.repository.registry,
    path: reference.repository.path,
    ...(reference.tag === undefined ? {} : {tag: reference.tag}),
    ...(reference.digest === undefined ? {} : {digest: reference.digest}),
    name: referenceName(reference),
  }
}

/** Throws a REFERENCE_INVALID PluginError (exit 2) that quotes the input and matches `why`. */
function refused(run: () => unknown, input: string, why: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(isPluginError(error), `untyped error: ${String(error)}`)
    assert.equal(error.code, 'REFERENCE_INVALID')
    assert.equal(error.exitCode, 2)
    assert.ok(error.message.includes(`"${input}"`), `the message does not quote the input: ${error.message}`)
    assert.match(error.message, why)
    return true
  }, `accepted: ${input}`)
}

describe('image references: Docker Hub', () => {
  it('names Docker Hub index.docker.io, as go-containerregistry and cosign do', () => {
    assert.equal(DOCKER_HUB, 'index.docker.io')
  })

  const hub: Array<[string, string, string]> = [
    ['alpine', 'library/alpine', 'index.docker.io/library/alpine:latest'],
    ['alpine:3.20', 'library/alpine', 'index.docker.io/library/alpine:3.20'],
    ['library/alpine', 'library/alpine', 'index.docker.io/library/alpine:latest'],
    ['docker.io/alpine', 'library/alpine', 'index.docker.io/library/alpine:latest'],
    ['docker.io/library/alpine:edge', 'library/alpine', 'index.docker.io/library/alpine:edge'],
    ['index.docker.io/alpine', 'library/alpine', 'index.docker.io/library/alpine:latest'],
    ['index.docker.io/library/alpine:latest', 'library/alpine', 'index.docker.io/library/alpine:latest'],
    ['user/app', 'user/app', 'index.docker.io/user/app:latest'],
    ['user/app:v1', 'user/app', 'index.docker.io/user/app:v1'],
    ['docker.io/user/app', 'user/app', 'index.docker.io/user/app:latest'],
    ['org/team/app:v2', 'org/team/app', 'index.docker.io/org/team/app:v2'],
    // No `.`, `:` or `localhost` in the first component: it is a Docker Hub namespace, not a host.
    ['myregistry/app', 'myregistry/app', 'index.docker.io/myregistry/app:latest'],
    // A one-word name with a dot is a repository on Docker Hub (there is nothing after it).
    ['example.com', 'library/example.com', 'index.docker.io/library/example.com:latest'],
    // `localhost:5000` alone is the repository `localhost` with tag `5000`, as docker reads it.
    ['localhost:5000', 'library/localhost', 'index.docker.io/library/localhost:5000'],
  ]
  for (const [input, path, name] of hub) {
    it(`${input} → ${name}`, () => {
      const reference = parsed(input)
      assert.equal(reference.registry, DOCKER_HUB)
      assert.equal(reference.path, path)
      assert.equal(reference.name, name)
    })
  }

  it('a digest on Docker Hub', () => {
    assert.deepEqual(parsed(`alpine@${D}`), {registry: DOCKER_HUB, path: 'library/alpine', digest: D, name: `index.docker.io/library/alpine@${D}`})
  })
})

describe('image references: registries with hosts and ports', () => {
  const hosted: Array<[string, {registry: string; path: string; tag?: string; digest?: string}]> = [
    ['localhost:5000/app:v1', {registry: 'localhost:5000', path: 'app', tag: 'v1'}],
    ['localhost:5000/app', {registry: 'localhost:5000', path: 'app', tag: 'latest'}],
    ['localhost/app', {registry: 'localhost', path: 'app', tag: 'latest'}],
    [`127.0.0.1:5000/a/b@${D}`, {registry: '127.0.0.1:5000', path: 'a/b', digest: D}],
    ['127.0.0.1:5000/team/sub/app:1.0.0-rc.1', {registry: '127.0.0.1:5000', path: 'team/sub/app', tag: '1.0.0-rc.1'}],
    ['registry.example.com/app', {registry: 'registry.example.com', path: 'app', tag: 'latest'}],
    ['registry.example.com:443/team/app:v1', {registry: 'registry.example.com:443', path: 'team/app', tag: 'v1'}],
    ['ghcr.io/org/app:sha-1a2b3c', {registry: 'ghcr.io', path: 'org/app', tag: 'sha-1a2b3c'}],
    ['[::1]:5000/app:v1', {registry: '[::1]:5000', path: 'app', tag: 'v1'}],
    ['my-registry.internal:5000/a.b/c_d/e__f/g-h/i---j:v1', {registry: 'my-registry.internal:5000', path: 'a.b/c_d/e__f/g-h/i---j', tag: 'v1'}],
    // Tags may hold uppercase letters (repositories may not).
    ['localhost:5000/app:V1_Release', {registry: 'localhost:5000', path: 'app', tag: 'V1_Release'}],
  ]
  for (const [input, expected] of hosted) {
    it(input, () => {
      const {name, ...reference} = parsed(input)
      assert.deepEqual(reference, expected)
      // Spelled out, the registry is kept as written: no library/ prefix, no :latest dropped.
      assert.equal(name, `${expected.registry}/${expected.path}${expected.tag ? `:${expected.tag}` : ''}${expected.digest ? `@${expected.digest}` : ''}`)
    })
  }

  it('loopback registries (plain HTTP, like go-containerregistry) and the rest (HTTPS)', () => {
    for (const host of ['localhost', 'localhost:5000', '127.0.0.1:5000', '127.1.2.3', '[::1]:5000']) assert.ok(isLoopbackRegistry(host), host)
    for (const host of [DOCKER_HUB, 'registry.example.com', 'localhost.example.com:5000', '10.0.0.1:5000', '128.0.0.1']) assert.ok(!isLoopbackRegistry(host), host)
  })
})

describe('image references: digests, and a tag with a digest', () => {
  it('a digest alone is not given a tag; the manifest is addressed by the digest', () => {
    const reference = parseReference(`localhost:5000/app@${D}`)
    assert.equal(reference.tag, undefined)
    assert.equal(reference.digest, D)
    assert.equal(manifestReference(reference), D)
    assert.equal(referenceName(reference), `localhost:5000/app@${D}`)
  })

  it('tag and digest: both kept, the digest addresses the manifest', () => {
    const reference = parseReference(`localhost:5000/app:v1@${D}`)
    assert.equal(reference.tag, 'v1')
    assert.equal(reference.digest, D)
    assert.equal(manifestReference(reference), D)
    assert.equal(referenceName(reference), `localhost:5000/app:v1@${D}`)
    assert.equal(repositoryName(reference.repository), 'localhost:5000/app')
    assert.deepEqual(parsed(`alpine:3@${D}`), {registry: DOCKER_HUB, path: 'library/alpine', tag: '3', digest: D, name: `index.docker.io/library/alpine:3@${D}`})
  })

  it('a tag alone addresses the manifest by the tag; a bare name by latest', () => {
    assert.equal(manifestReference(parseReference('localhost:5000/app:v1')), 'v1')
    assert.equal(manifestReference(parseReference('localhost:5000/app')), 'latest')
  })

  const badDigests = [
    `localhost:5000/app@sha256:${'A'.repeat(64)}`, // uppercase hex
    `localhost:5000/app@sha256:${'a'.repeat(63)}`, // too short
    `localhost:5000/app@sha256:${'a'.repeat(65)}`, // too long
    `localhost:5000/app@sha512:${'a'.repeat(128)}`, // sha256 only
    `localhost:5000/app@${'a'.repeat(64)}`, // no algorithm
    'localhost:5000/app@', // empty
    `localhost:5000/app@${D}@${D}`, // two digests
  ]
  for (const input of badDigests) {
    it(`refuses the digest in ${input.length > 60 ? `${input.slice(0, 60)}…` : input}`, () => {
      refused(() => parseReference(input), input, /digest must be sha256: followed by 64 lowercase hex/)
    })
  }
})

describe('image references: refused, with a message that says why', () => {
  it('uppercase repository names (Docker Hub and elsewhere)', () => {
    for (const input of ['Alpine', 'User/app', 'user/App:v1', 'localhost:5000/MyApp:v1', `registry.example.com/team/APP@${D}`]) {
      refused(() => parseReference(input), input, /lowercase/)
    }
  })

  it('bad tags', () => {
    refused(() => parseReference('localhost:5000/app:'), 'localhost:5000/app:', /tag "" may hold only letters, digits, _ \. -/)
    refused(() => parseReference('app:-v1'), 'app:-v1', /tag "-v1"/)
    refused(() => parseReference('app:.v1'), 'app:.v1', /tag "\.v1"/)
    refused(() => parseReference('app:v+1'), 'app:v+1', /tag "v\+1"/)
    refused(() => parseReference('app:été'), 'app:été', /tag "été"/)
    const long = `app:${'a'.repeat(129)}`
    refused(() => parseReference(long), long, /at most 128/)
    assert.equal(parseReference(`app:${'a'.repeat(128)}`).tag, 'a'.repeat(128))
  })

  it('empty, spaced and overlong input', () => {
    for (const input of ['', ' ', 'app v1', 'app\tv1', 'app\n', ' alpine']) {
      refused(() => parseReference(input), input, /non-empty, without spaces/)
    }

    const huge = `a${'/a'.repeat(2048)}`
    refused(() => parseReference(huge), huge, /non-empty/)
  })

  it('malformed repository paths', () => {
    const bad = ['localhost:5000/', 'localhost:5000//app', 'user/app/', '/app', 'a..b', 'a/-b', 'a/b-', 'a/_b', 'a/b___c', 'app!', 'a%2Fb', 'registry.example.com/app/../etc']
    for (const input of bad) refused(() => parseReference(input), input, /lowercase letters, digits and separators/)
  })

  it('a repository name longer than 255 characters', () => {
    const input = `localhost:5000/${'a'.repeat(256)}`
    refused(() => parseReference(input), input, /longer than 255/)
    assert.equal(parseReference(`localhost:5000/${'a'.repeat(255)}`).repository.path.length, 255)
  })

  it('registry hosts that are not hosts', () => {
    for (const input of ['-bad.example.com/app', 'bad.example.com-/app', 'exa_mple.com/app', 'localhost:port/app', 'localhost:123456/app', '[::1/app', '[::1]x/app']) {
      refused(() => parseReference(input), input, /is not a registry host/)
    }
  })

  it('a registry host longer than a DNS name (253 characters)', () => {
    // Accepted before, although its canonical name (`…/app:latest`) was over the 4096-character
    // input cap, so it did not parse back.
    const long = `${'a'.repeat(4082)}.com/app`
    refused(() => parseReference(long), long, /registry host is longer than 253 characters/)
    const dns = `${'a'.repeat(249)}.com:5000/app`
    assert.equal(parseReference(dns).repository.registry, `${'a'.repeat(249)}.com:5000`)
    const over = `${'a'.repeat(250)}.com/app`
    refused(() => parseReference(over), over, /longer than 253/)
  })
})

describe('repository names (--repository, the signature repository override)', () => {
  it('reads them like the repository part of a reference', () => {
    assert.deepEqual(parseRepositoryName('localhost:5000/sigs'), {registry: 'localhost:5000', path: 'sigs'})
    assert.deepEqual(parseRepositoryName('sigs'), {registry: DOCKER_HUB, path: 'library/sigs'})
    assert.deepEqual(parseRepositoryName('docker.io/team/sigs'), {registry: DOCKER_HUB, path: 'team/sigs'})
    assert.deepEqual(parseRepositoryName('ghcr.io/org/sigs'), {registry: 'ghcr.io', path: 'org/sigs'})
  })

  it('refuses a tag, a digest, spaces and uppercase', () => {
    refused(() => parseRepositoryName('localhost:5000/sigs:v1'), 'localhost:5000/sigs:v1', /a repository has no tag/)
    refused(() => parseRepositoryName(`localhost:5000/sigs@${D}`), `localhost:5000/sigs@${D}`, /without tag or digest/)
    refused(() => parseRepositoryName(''), '', /without tag or digest/)
    refused(() => parseRepositoryName('local host/sigs'), 'local host/sigs', /without tag or digest/)
    refused(() => parseRepositoryName('localhost:5000/Sigs'), 'localhost:5000/Sigs', /lowercase/)
  })
})

describe('image references: the canonical name round-trips', () => {
  const inputs = ['alpine', 'user/app:v1', 'localhost:5000', 'localhost:5000/app:v1', `127.0.0.1:5000/a/b@${D}`, `alpine:3@${D}`, '[::1]:5000/app', 'docker.io/library/alpine']
  for (const input of inputs) {
    it(input, () => {
      const first: ImageReference = parseReference(input)
      const name = referenceName(first)
      assert.deepEqual(parseReference(name), first)
      assert.equal(referenceName(parseReference(name)), name)
    })
  }
})
