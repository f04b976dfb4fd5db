import type {TransparencyLogEntry} from '@sigstore/bundle'

import {PluginError} from '../errors.js'

// The signer a Rekor entry records must be the signer we verified: the same certificate (keyless)
// or public key. @sigstore/verify compares only the signature and digest; cosign also compares
// the key, so that an entry logged by someone else for the same bytes does not count.

export type ExpectedSigner = {certificateDer: Buffer} | {publicKeyDer: Buffer}

export function assertTlogSigner(entry: TransparencyLogEntry, expected: ExpectedSigner): void {
  const recorded = recordedSigners(entry)
  if (recorded === undefined) return // a kind we do not know; @sigstore/verify has already judged it
  const [label, der] = 'certificateDer' in expected ? ['CERTIFICATE', expected.certificateDer] : ['PUBLIC KEY', expected.publicKeyDer]
  if (!recorded.some((pem) => pemBlocks(pem).some((block) => block.label === label && block.der.equals(der)))) {
    throw new PluginError('VERIFY_FAILED', `the transparency-log entry ${entry.logIndex} records a different signer than the signature's ${label.toLowerCase()}`)
  }
}

/** The PEMs a Rekor v1 body names as signers, by kind; undefined for a kind we do not read. */
function recordedSigners(entry: TransparencyLogEntry): string[] | undefined {
  let body: unknown
  try {
    body = JSON.parse(Buffer.from(entry.canonicalizedBody).toString('utf8'))
  } catch {
    return []
  }

  const pemAt = (value: unknown, ...path: string[]) => {
    const found = at(value, ...path)
    return typeof found === 'string' ? Buffer.from(found, 'base64').toString('utf8') : ''
  }

  const list = (value: unknown) => (Array.isArray(value) ? (value as unknown[]) : [])
  switch (`${at(body, 'kind')}/${at(body, 'apiVersion')}`) {
    case 'hashedrekord/0.0.1':
      return [pemAt(body, 'spec', 'signature', 'publicKey', 'content')]
    case 'dsse/0.0.1':
      return list(at(body, 'spec', 'signatures')).map((s) => pemAt(s, 'verifier'))
    case 'intoto/0.0.2':
      return list(at(body, 'spec', 'content', 'envelope', 'signatures')).map((s) => pemAt(s, 'publicKey'))
    default:
      return undefined
  }
}

function at(value: unknown, ...path: string[]): unknown {
  let current = value
  for (const key of path) current = typeof current === 'object' && current !== null ? (current as Record<string, unknown>)[key] : undefined
  return current
}

function pemBlocks(text: string): {label: string; der: Buffer}[] {
  return [...text.matchAll(/-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END \1-----/g)].map((m) => ({
    label: m[1],
    der: Buffer.from(m[2].replaceAll(/\s/g, ''), 'base64'),
  }))
}
