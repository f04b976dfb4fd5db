/** Public surface of key handling; other folders import from here, not from the files. */
export {DIGEST, SUPPORTED_ALGORITHMS} from './algorithms.js'
export {
  COSIGN_KEY_LABEL,
  COSIGN_SCRYPT,
  type EncryptOptions,
  encryptKey,
  type ScryptParams,
  SIGSTORE_KEY_LABEL,
} from './encrypted.js'
export {assertCanWrite, generateKeyPair, type KeyPairPaths, type KeyPairPem, keyPairPaths, writeKeyPair} from './generate.js'
export {signerFromKey, verifierFromKey} from './key-object.js'
export {isKeySigner, publicKeyHint, sigstoreSigner} from './sigstore-signer.js'
export {forgetLoadedSigners, loadSigner, loadVerifier, verifierFromPem} from './load.js'
export {displayUri as displayKeyReference, isPkcs11Uri} from './pkcs11/uri.js'
export {
  newKeyPassword,
  type PasswordOptions,
  type PasswordSource,
  passwordSource,
  type SecretKind,
  readPasswordFile,
  staticPassword,
} from './password.js'
export type {Prompt} from './prompt.js'
export type {KeyAlgorithm, Signer, Verifier} from './types.js'
