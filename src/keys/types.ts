// The seam between "where a key lives" and "what signs": a key file, a KMS or keyless signing
// each provide a Signer, so the signing pipeline never branches on the key source.

/** The signature schemes we accept; each fixes its curve or key type and its digest. */
export type KeyAlgorithm =
  | 'ecdsa-p256-sha256'
  | 'ecdsa-p384-sha384'
  | 'ecdsa-p521-sha512'
  | 'rsa-pkcs1v15-sha256'
  | 'ed25519'

export interface Signer {
  readonly algorithm: KeyAlgorithm
  /** SPKI `PUBLIC KEY` PEM, as cosign's `public-key` prints it (64-column lines, final newline). */
  readonly publicKeyPem: string
  /** Signs the message itself (hashing is part of the algorithm); ECDSA returns ASN.1 DER. */
  sign(data: Buffer): Promise<Buffer>
  /**
   * The same signature over a message fed in pieces, so a large one (an SBOM attestation's PAE)
   * never has to exist whole. Absent when the scheme needs the whole message at once (Ed25519) or
   * the signer does not offer it: then use `sign`.
   */
  readonly signPieces?: () => PieceSigner
}

/** One message's signature, fed piece by piece; `sign` once, after the last piece. */
export interface PieceSigner {
  update(piece: Buffer): void
  sign(): Promise<Buffer>
}

export interface Verifier {
  readonly algorithm: KeyAlgorithm
  readonly publicKeyPem: string
  /** False for a wrong or malformed signature; never throws for bad signature bytes. */
  verify(data: Buffer, signature: Buffer): boolean
  /** The same check over a message given in pieces, never joined; absent for Ed25519. */
  readonly verifyPieces?: (pieces: Iterable<Buffer>, signature: Buffer) => boolean
}
