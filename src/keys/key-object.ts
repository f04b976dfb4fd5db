/** Signer and Verifier over Node KeyObjects: what every file-based key becomes once parsed. */
import {createPublicKey, createSign, createVerify, type KeyObject, sign, verify} from 'node:crypto'

import {PluginError} from '../errors.js'
import {algorithmOf, describeKey, DIGEST, SUPPORTED_ALGORITHMS} from './algorithms.js'
import type {KeyAlgorithm, PieceSigner, Signer, Verifier} from './types.js'

export function signerFromKey(privateKey: KeyObject, source: string): Signer {
  const algorithm = supportedAlgorithm(privateKey, source)
  const digest = DIGEST[algorithm]
  const signer: Signer = {
    algorithm,
    publicKeyPem: publicKeyPem(createPublicKey(privateKey)),
    sign: (data) =>
      // The callback form runs on the thread pool (on a copy of the data); ECDSA defaults to DER,
      // RSA to PKCS#1 v1.5.
      new Promise((resolve, reject) => {
        sign(digest ?? null, data, privateKey, (error, signature) => (error ? reject(error) : resolve(signature)))
      }),
  }
  // Hash-then-sign schemes hash as pieces arrive (no copy); Ed25519 signs the whole message.
  return digest === undefined ? signer : {...signer, signPieces: () => pieceSigner(digest, privateKey)}
}

function pieceSigner(digest: string, privateKey: KeyObject): PieceSigner {
  const state = createSign(digest)
  return {
    update: (piece) => void state.update(piece),
    // Same defaults as the one-shot `sign`: DER for ECDSA, PKCS#1 v1.5 for RSA.
    sign: async () => state.sign(privateKey),
  }
}

export function verifierFromKey(publicKey: KeyObject, source: string): Verifier {
  const algorithm = supportedAlgorithm(publicKey, source)
  const digest = DIGEST[algorithm]
  const verifier: Verifier = {
    algorithm,
    publicKeyPem: publicKeyPem(publicKey),
    verify(data, signature) {
      try {
        return verify(digest ?? null, data, publicKey, signature)
      } catch {
        // OpenSSL rejects some malformed signatures by throwing; to the caller that is "not valid".
        return false
      }
    },
  }
  if (digest === undefined) return verifier
  return {
    ...verifier,
    verifyPieces(pieces, signature) {
      try {
        const state = createVerify(digest)
        for (const piece of pieces) state.update(piece)
        return state.verify(publicKey, signature)
      } catch {
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
