/**
 * A Signer whose private key stays in the token, signing as cosign's PKCS#11 keys do: ECDSA is
 * CKM_ECDSA over the message's digest (the token returns r‖s, turned into the ASN.1 DER cosign
 * writes); RSA is PKCS#1 v1.5 with SHA-256 — CKM_RSA_PKCS over the DigestInfo, as cosign's
 * crypto11 does, or CKM_SHA256_RSA_PKCS where the token offers only that. The message is hashed
 * here, so a large attestation never travels to the token. No `signPieces`: callers then sign
 * the whole message with `sign`.
 */
import {createHash, type KeyObject, verify} from 'node:crypto'

import {PluginError} from '../../errors.js'
import {algorithmOf, describeKey, DIGEST} from '../algorithms.js'
import type {KeyAlgorithm, Signer} from '../types.js'
import {CK} from './binding.js'
import {tokenFailure} from './failures.js'
import {PKCS11_ALGORITHMS, type TokenKey} from './objects.js'
import {type TokenSession} from './token.js'

/** DER DigestInfo prefix of a SHA-256 digest (RFC 8017 §9.2, note 1). */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex')

export async function tokenSigner(session: TokenSession, privateKey: TokenKey, publicKey: KeyObject, source: string): Promise<Signer> {
  const algorithm = algorithmOf(publicKey)
  if (algorithm === undefined || algorithm === 'ed25519') {
    throw new PluginError('KEY_INVALID', `${source} is an unsupported key (${describeKey(publicKey)}); supported: ${PKCS11_ALGORITHMS}`)
  }

  const expected = publicKey.asymmetricKeyType === 'ec' ? CK.CKK_EC : CK.CKK_RSA
  if (privateKey.keyType !== expected) {
    throw new PluginError('KEY_INVALID', `${source}: the private key and the public key object with its id are not the same kind of key`)
  }

  const mechanisms = await session.run((api) => {
    try {
      return new Set(api.C_GetMechanismList(session.token.slot))
    } catch (error) {
      throw tokenFailure(error, session.where, 'C_GetMechanismList')
    }
  })
  const scheme = signingScheme(algorithm, mechanisms, source, session.where)
  const digest = DIGEST[algorithm]!
  const maxLength = Math.max(512, Math.ceil((publicKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8))
  return {
    algorithm,
    publicKeyPem: publicKey.export({type: 'spki', format: 'pem'}).toString(),
    async sign(data) {
      const raw = await session.run(async (api, handle) => {
        try {
          api.C_SignInit(handle, {mechanism: scheme.mechanism}, privateKey.handle)
          return await api.C_SignAsync(handle, scheme.input(data), Buffer.alloc(maxLength))
        } catch (error) {
          throw tokenFailure(error, session.where, `signing with ${source}`)
        }
      })
      const signature = scheme.ecdsa ? rawToDer(raw) : Buffer.from(raw)
      // A public key object that is not this private key's would publish signatures nobody can
      // verify: each one is checked with the key we give out, before it is used.
      if (!verify(digest, data, publicKey, signature)) {
        throw new PluginError('KEY_INVALID', `${source}: the token's signature does not verify with the public key object beside the private key; they are not one key pair`)
      }

      return signature
    },
  }
}

interface Scheme {
  mechanism: number
  ecdsa: boolean
  input(data: Buffer): Buffer
}

function signingScheme(algorithm: KeyAlgorithm, mechanisms: Set<number>, source: string, where: string): Scheme {
  const digest = DIGEST[algorithm]!
  const hash = (data: Buffer) => createHash(digest).update(data).digest()
  if (algorithm.startsWith('ecdsa')) {
    if (!mechanisms.has(CK.CKM_ECDSA)) throw new PluginError('KEY_INVALID', `${where} does not offer CKM_ECDSA, which signing with ${source} needs`)
    return {mechanism: CK.CKM_ECDSA, ecdsa: true, input: hash}
  }

  if (mechanisms.has(CK.CKM_RSA_PKCS)) return {mechanism: CK.CKM_RSA_PKCS, ecdsa: false, input: (data) => Buffer.concat([SHA256_DIGEST_INFO, hash(data)])}
  if (mechanisms.has(CK.CKM_SHA256_RSA_PKCS)) return {mechanism: CK.CKM_SHA256_RSA_PKCS, ecdsa: false, input: (data) => data}
  throw new PluginError('KEY_INVALID', `${where} offers neither CKM_RSA_PKCS nor CKM_SHA256_RSA_PKCS, which signing with ${source} needs`)
}

/** PKCS#11's ECDSA signature r‖s (two equal halves) as ASN.1 DER SEQUENCE {INTEGER r, INTEGER s}. */
export function rawToDer(raw: Buffer): Buffer {
  if (raw.length === 0 || raw.length % 2 !== 0) throw new PluginError('KEY_INVALID', `the token returned a ${raw.length}-byte ECDSA signature; expected r‖s`)
  const half = raw.length / 2
  const body = Buffer.concat([derInteger(raw.subarray(0, half)), derInteger(raw.subarray(half))])
  return Buffer.concat([Buffer.of(0x30), derLength(body.length), body])
}

function derInteger(bytes: Buffer): Buffer {
  let start = 0
  while (start < bytes.length - 1 && bytes[start] === 0) start++
  const magnitude = bytes.subarray(start)
  const value = magnitude[0]! & 0x80 ? Buffer.concat([Buffer.of(0), magnitude]) : magnitude
  return Buffer.concat([Buffer.of(0x02), derLength(value.length), value])
}

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.of(length)
  return length < 0x100 ? Buffer.of(0x81, length) : Buffer.of(0x82, length >> 8, length & 0xff)
}
