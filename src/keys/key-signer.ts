/** Signer and Verifier over Node KeyObjects: what every file-based key becomes once parsed. */
import {createPublicKey, type KeyObject, sign, verify} from 'node:crypto'

import {PluginError} from '../errors.js'
import {algorithmOf, describeKey, DIGEST, SUPPORTED_ALGORITHMS} from './algorithms.js'
import type {KeyAlgorithm, Signer, Verifier} from './types.js'

export function signerFromKey(privateKey: KeyObject, source: string): Signer {
  const algorithm = supportedAlgorithm(privateKey, source)
  const digest = DIGEST[algorithm] ?? null
  return {
    algorithm,
    publicKeyPem: publicKeyPem(createPublicKey(privateKey)),
    sign: (data) =>
      // The callback form runs on the thread pool; ECDSA defaults to DER, RSA to PKCS#1 v1.5.
      new Promise((resolve, reject) => {
        sign(digest, data, privateKey, (error, signature) => (error ? reject(error) : resolve(signature)))
      }),
  }
}

export function verifierFromKey(publicKey: KeyObject, source: string): Verifier {
  const algorithm = supportedAlgorithm(publicKey, source)
  const digest = DIGEST[algorithm] ?? null
  return {
    algorithm,
    publicKeyPem: publicKeyPem(publicKey),
    verify(data, signature) {
      try {
        return verify(digest, data, publicKey, signature)
      } catch {
        // OpenSSL rejects some malformed signatures by throwing; to the caller that is "not valid".
        return false
      }
    },
  }
}

function supportedAlgorithm(key: KeyObject, source: string): KeyAlgorithm {
  const algorithm = algorithmOf(key)
  if (algorithm === undefined) {
    throw new PluginError(
      'KEY_INVALID',
      `${source} holds an unsupported key (${describeKey(key)}); supported: ${SUPPORTED_ALGORITHMS}`,
    )
  }

  return algorithm
}

function publicKeyPem(key: KeyObject): string {
  return key.export({type: 'spki', format: 'pem'}).toString()
}
