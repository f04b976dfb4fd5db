import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {generateKeyPairSync} from 'node:crypto'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {before, describe, it} from 'node:test'

import {writeReport} from '../helpers/report.js'
import {assertOneLineError, run, runCli} from '../helpers/run.js'
import {hostBin, installPlugin, isolatedEnv} from '../host/run-host.js'

/**
 * What a user reads when something is off (issue 12, items 9, 10 and 13): help, unknown commands,
 * flag ranges, cosign's annotation rule, mode-specific flags, size caps, encrypted PKCS#8 keys.
 * Nothing here reaches a registry: an unreachable one (port 1) stands in where an image is needed,
 * so "the input was accepted" shows as exit 4 (registry unreachable).
 */
const work = mkdtempSync(join(tmpdir(), 'messages-'))
const UNREACHABLE = '127.0.0.1:1/app:v1'
const PASSWORD = 'messages-test-password'
const KiB = 1024

/** One `Error: …` line, no stack trace, oclif's ` ›   Error:` block nowhere. */
function oneLine(result: {code: number; stdout: string; stderr: string}): string {
  const line = assertOneLineError(result)
  assert.equal(line.split('\n').length, 1, line)
  assert.match(line, /^Error: /)
  assert.doesNotMatch(result.stderr, /›/)
  return line
}

/** The lines of one section of `--help` output ("USAGE", "EXAMPLES", …). */
function section(help: string, name: string): string[] {
  const lines = help.split('\n')
  const start = lines.indexOf(name)
  assert.ok(start >= 0, `no ${name} section in:\n${help}`)
  const end = lines.findIndex((line, i) => i > start && /^[A-Z][A-Z ]+$/.test(line))
  return lines.slice(start + 1, end === -1 ? undefined : end)
}

describe('help', () => {
  for (const command of ['sign', 'verify', 'generate-key-pair', 'pkcs11 list-tokens', 'pkcs11 list-keys']) {
    it(`${command} --help: usage without empty choices, no empty [default: ], every example a $ command`, async () => {
      const result = await runCli([...command.split(' '), '--help'])
      assert.equal(result.code, 0, result.stderr)
      const help = result.stdout
      const usage = section(help, 'USAGE').join('\n')
      assert.doesNotMatch(usage, /\|\s*\]|\[\s*\||\|\s*\|/, `empty choice in usage:\n${usage}`)
      assert.doesNotMatch(help, /\[default: \]/)
      const examples = section(help, 'EXAMPLES').filter((line) => line.includes('pack-ts '))
      assert.ok(examples.length > 0)
      for (const line of examples) assert.match(line.trim(), /^\$ /, `example without "$ ": ${line}`)
    })
  }

  it('sign --help shows both ways in', async () => {
    const usage = section((await runCli(['sign', '--help'])).stdout, 'USAGE').join(' ').replaceAll(/\s+/g, ' ')
    assert.match(usage, /\$ pack-ts sign --report FILE --cosign-config FILE/)
    assert.match(usage, /\$ pack-ts sign IMAGE\.\.\. \(--key FILE \[--password-file FILE\] \[--tlog-upload\] \| --keyless/)
  })
})

describe('unknown command', () => {
  it('is one line in our format, exit 2, naming the commands and the closest one', async () => {
    const result = await runCli(['sgin', 'registry.example.com/app:v1'])
    const line = oneLine(result)
    assert.equal(result.code, 2)
    assert.equal(line, 'Error: unknown command "sgin" (did you mean sign?); the commands are generate-key-pair, pkcs11 list-keys, pkcs11 list-tokens, sign, verify (see --help)')
  })

  it('without a near match, lists the commands', async () => {
    const result = await runCli(['frobnicate'])
    assert.equal(oneLine(result), 'Error: unknown command "frobnicate"; the commands are generate-key-pair, pkcs11 list-keys, pkcs11 list-tokens, sign, verify (see --help)')
    assert.equal(result.code, 2)
  })

  it('under a topic, the two words typed are what is compared', async () => {
    const result = await runCli(['pkcs11', 'lst-tokens', '--module-path', '/x.so'])
    assert.match(oneLine(result), /^Error: unknown command "pkcs11 lst-tokens" \(did you mean pkcs11 list-tokens\?\); the commands are /)
    assert.equal(result.code, 2)
  })

  it("inside a host, the host's CLI words it: oclif's message and exit code, as without the plugin", async () => {
    installPlugin()
    const result = await run(process.execPath, [hostBin, 'frobnicate'], {env: isolatedEnv()})
    assert.equal(result.code, 2)
    assert.match(result.stderr, /Error: command frobnicate not found/)
    assert.doesNotMatch(result.stderr, /unknown command|the commands are/)
  })
})

describe('flag values out of range name the range', () => {
  const cases: [string, string[], string][] = [
    ['--concurrency 0', ['sign', UNREACHABLE, '--key', 'k.key', '--concurrency', '0'], 'Error: --concurrency: expected a whole number from 1 to 64, got "0" (see --help)'],
    ['--concurrency 65', ['sign', UNREACHABLE, '--key', 'k.key', '--concurrency', '65'], 'Error: --concurrency: expected a whole number from 1 to 64, got "65" (see --help)'],
    ['--registry-timeout x', ['verify', UNREACHABLE, '--key', 'k.pub', '--registry-timeout', 'x'], 'Error: --registry-timeout: expected a whole number from 1 to 3600, got "x" (see --help)'],
    [
      '--sbom-max-layer-mib 0.5',
      ['sign', '--report', 'r.toml', '--cosign-config', 'c.toml', '--sbom-max-layer-mib', '0.5'],
      'Error: --sbom-max-layer-mib: expected a whole number of at least 1, got "0.5" (see --help)',
    ],
  ]
  for (const [name, args, expected] of cases) {
    it(name, async () => {
      const result = await runCli(args)
      assert.equal(oneLine(result), expected)
      assert.equal(result.code, 2)
    })
  }
})

describe('--json usage errors', () => {
  it("are one small error document with our message and exit 2, not oclif's parser state", async () => {
    for (const [args, message] of [
      [['verify', 'x.example.com/app:v1', '--json', '--nope'], 'Nonexistent flag: --nope (see --help)'],
      [['sign', UNREACHABLE, '--key', 'k.key', '--concurrency', '0', '--json'], '--concurrency: expected a whole number from 1 to 64, got "0" (see --help)'],
    ] as const) {
      const result = await runCli([...args])
      assert.equal(result.code, 2)
      assert.ok(result.stdout.length < 500, `${result.stdout.length} bytes of JSON`)
      const {error} = JSON.parse(result.stdout) as {error: {code: string; message: string}}
      assert.equal(error.code, 'USAGE')
      assert.equal(error.message, message)
    }
  })
})

describe('cosign parity', () => {
  it('-a k=v=w is refused, as cosign refuses it', async () => {
    const result = await runCli(['sign', UNREACHABLE, '--key', join(work, 'missing.key'), '-a', 'k=v=w'])
    assert.match(oneLine(result), /^Error: annotation "k=v=w" has more than one "="; -a takes key=value with no "=" in the value, as cosign does/)
    assert.equal(result.code, 2)
  })

  it('verify -a k=v=w is refused too', async () => {
    const result = await runCli(['verify', UNREACHABLE, '--key', join(work, 'missing.pub'), '-a', 'k=v=w'])
    assert.match(oneLine(result), /annotation "k=v=w" has more than one "="/)
    assert.equal(result.code, 2)
  })

  for (const flag of ['--sbom-max-layer-mib', '--sbom-max-uncompressed-mib', '--sbom-max-document-mib']) {
    it(`${flag} with sign IMAGE... is refused (it applies to --report)`, async () => {
      const result = await runCli(['sign', UNREACHABLE, '--key', join(work, 'missing.key'), flag, '5'])
      assert.match(oneLine(result), new RegExp(`${flag}.*--report`))
      assert.equal(result.code, 2)
    })
  }
})

describe('input size caps', () => {
  const keyFile = join(work, 'cosign.key')
  before(async () => {
    const generated = await runCli(['generate-key-pair', '--output-key-prefix', join(work, 'cosign')], {env: {COSIGN_PASSWORD: PASSWORD}})
    assert.equal(generated.code, 0, generated.stderr)
  })

  /** A valid cosign.toml (or report.toml) padded with comments past 1 MiB: it would parse. */
  const padded = (text: string) => `${text}\n${`# ${'x'.repeat(1022)}\n`.repeat(1025)}`

  it('a cosign.toml over 1 MiB is refused, unread, naming the file and the limit', async () => {
    const report = writeReport(work, [UNREACHABLE], `sha256:${'a'.repeat(64)}`, 'caps-report.toml')
    const config = join(work, 'big-cosign.toml')
    writeFileSync(config, padded(`[[configs]]\nkey = "cosign.key"\n`))
    const result = await runCli(['sign', '--report', report, '--cosign-config', config], {env: {COSIGN_PASSWORD: PASSWORD}})
    assert.equal(oneLine(result), `Error: cosign config ${config} is larger than 1 MiB, the most this tool reads (a real one is a few KiB): is it the right file?`)
    assert.equal(result.code, 2)
  })

  it('a report.toml over 1 MiB is refused the same way', async () => {
    const report = join(work, 'big-report.toml')
    writeFileSync(report, padded(`[image]\n  tags = ["${UNREACHABLE}"]\n  digest = "sha256:${'a'.repeat(64)}"\n`))
    const config = join(work, 'small-cosign.toml')
    writeFileSync(config, '[[configs]]\nkey = "cosign.key"\n')
    const result = await runCli(['sign', '--report', report, '--cosign-config', config], {env: {COSIGN_PASSWORD: PASSWORD}})
    assert.equal(oneLine(result), `Error: report ${report} is larger than 1 MiB, the most this tool reads (a real one is a few KiB): is it the right file?`)
    assert.equal(result.code, 2)
  })

  it('an -a value over 64 KiB is refused, named, and not echoed', async () => {
    const value = 'v'.repeat(64 * KiB + 1)
    const result = await runCli(['sign', UNREACHABLE, '--key', keyFile, '-a', `big=${value}`], {env: {COSIGN_PASSWORD: PASSWORD}})
    const line = oneLine(result)
    assert.equal(line, 'Error: -a: the value of annotation "big" is 64.1 KiB; the limit is 64 KiB per name or value')
    assert.equal(result.code, 2)
  })

  it('-a annotations over 512 KiB together are refused', async () => {
    const args = Array.from({length: 9}, (_, i) => ['-a', `k${i}=${'v'.repeat(60 * KiB)}`]).flat()
    const result = await runCli(['sign', UNREACHABLE, '--key', keyFile, ...args], {env: {COSIGN_PASSWORD: PASSWORD}})
    assert.match(oneLine(result), /^Error: -a: the annotations take 540\.\d KiB in the signed payload; the limit is 512 KiB for all of them together$/)
    assert.equal(result.code, 2)
  })

  it('a cosign.toml annotation value over 64 KiB is a config error with its line', async () => {
    const report = writeReport(work, [UNREACHABLE], `sha256:${'a'.repeat(64)}`, 'annotation-report.toml')
    const config = join(work, 'annotation-cosign.toml')
    writeFileSync(config, `[[annotations]]\nname = "big"\nvalue = "${'v'.repeat(100 * KiB)}"\n\n[[configs]]\nkey = "cosign.key"\n`)
    const result = await runCli(['sign', '--report', report, '--cosign-config', config], {env: {COSIGN_PASSWORD: PASSWORD}})
    assert.equal(oneLine(result), `Error: ${config}:3: annotations[0].value: the value of annotation "big" is 100 KiB; the limit is 64 KiB per name or value`)
    assert.equal(result.code, 2)
  })

  it('a password file over 1 KiB is refused without being read, and not shown', async () => {
    const passwordFile = join(work, 'big.password')
    writeFileSync(passwordFile, `${PASSWORD}${'p'.repeat(2 * KiB)}\n`)
    const result = await runCli(['sign', UNREACHABLE, '--key', keyFile, '--password-file', passwordFile])
    assert.equal(oneLine(result), `Error: password file ${passwordFile} holds more than 1 KiB; a key password is at most 1 KiB (one line of text): is it the right file?`)
    assert.equal(result.code, 3)
    assert.doesNotMatch(result.stdout + result.stderr, /ppppp/)
  })

  it('a password file of exactly 1 KiB and a newline is a password', async () => {
    const passwordFile = join(work, 'long.password')
    writeFileSync(passwordFile, `${'p'.repeat(KiB)}\n`)
    const result = await runCli(['sign', UNREACHABLE, '--key', keyFile, '--password-file', passwordFile])
    assert.match(oneLine(result), /wrong password for /)
    assert.equal(result.code, 3)
  })

  it('a COSIGN_PASSWORD over 1 KiB is refused, and not shown', async () => {
    const result = await runCli(['sign', UNREACHABLE, '--key', keyFile], {env: {COSIGN_PASSWORD: 'q'.repeat(KiB + 1)}})
    assert.equal(oneLine(result), 'Error: COSIGN_PASSWORD holds 1.1 KiB; a key password is at most 1 KiB (one line of text): is it the right value?')
    assert.equal(result.code, 3)
    assert.doesNotMatch(result.stdout + result.stderr, /qqqqq/)
  })
})

describe('encrypted PKCS#8 keys (ENCRYPTED PRIVATE KEY)', () => {
  const encrypted = join(work, 'pkcs8-encrypted.pem')
  before(() => {
    const {privateKey} = generateKeyPairSync('ec', {namedCurve: 'P-256'})
    writeFileSync(encrypted, privateKey.export({type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASSWORD}))
  })

  it('loads with the password from COSIGN_PASSWORD (the run goes on to the registry)', async () => {
    const result = await runCli(['sign', UNREACHABLE, '--key', encrypted], {env: {COSIGN_PASSWORD: PASSWORD}})
    assert.match(oneLine(result), /cannot reach 127\.0\.0\.1:1/)
    assert.equal(result.code, 4)
  })

  it('loads with the password from --password-file', async () => {
    const passwordFile = join(work, 'pkcs8.password')
    writeFileSync(passwordFile, `${PASSWORD}\n`)
    const result = await runCli(['sign', UNREACHABLE, '--key', encrypted, '--password-file', passwordFile])
    assert.equal(result.code, 4, result.stderr)
  })

  it('a wrong password says so, naming the key and its format', async () => {
    const result = await runCli(['sign', UNREACHABLE, '--key', encrypted], {env: {COSIGN_PASSWORD: 'not it'}})
    assert.equal(oneLine(result), `Error: wrong password for ${encrypted} (an encrypted PKCS#8 key: ENCRYPTED PRIVATE KEY)`)
    assert.equal(result.code, 3)
  })

  it('an old scheme OpenSSL 3 does not do (PKCS#12 RC2): says so and how to convert, whatever the password', async () => {
    // openssl (Debian's, as in CI) writes it with its legacy provider; Node's OpenSSL refuses it.
    const legacy = join(work, 'pkcs8-rc2.pem')
    const plain = join(work, 'pkcs8-plain.pem')
    writeFileSync(plain, generateKeyPairSync('ec', {namedCurve: 'P-256'}).privateKey.export({type: 'pkcs8', format: 'pem'}))
    execFileSync('openssl', ['pkcs8', '-topk8', '-v1', 'PBE-SHA1-RC2-40', '-provider', 'legacy', '-provider', 'default', '-in', plain, '-out', legacy, '-passout', `pass:${PASSWORD}`])
    const result = await runCli(['sign', UNREACHABLE, '--key', legacy], {env: {COSIGN_PASSWORD: PASSWORD}})
    const line = oneLine(result)
    assert.match(line, new RegExp(`^Error: ${legacy} is a PKCS#8 key \\(ENCRYPTED PRIVATE KEY\\) encrypted with an old scheme OpenSSL 3 no longer does by default; re-encrypt it with \`openssl pkcs8 -provider legacy`))
    assert.match(line, /openssl pkcs8 -topk8 -v2 aes-256-cbc/)
    assert.equal(result.code, 3)
  })

  it('no password and no terminal: asks for COSIGN_PASSWORD or --password-file', async () => {
    const result = await runCli(['sign', UNREACHABLE, '--key', encrypted])
    assert.equal(oneLine(result), `Error: ${encrypted} is encrypted: set COSIGN_PASSWORD or pass --password-file`)
    assert.equal(result.code, 3)
  })
})
