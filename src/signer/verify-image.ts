import {PluginError} from '../errors.js'
import {predicateTypeOf, verifyClassicAttestations} from '../formats/attestation-verify.js'
import {COSIGN_SIGN_PREDICATE_TYPE, verifyBundles} from '../formats/bundle/index.js'
import {verifyClassicSignatures} from '../formats/classic-verify.js'
import {loadVerifier} from '../keys/index.js'
import {type Repository, repositoryName} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'

/**
 * What `verify` checks: signatures (or attestations) in both formats — the classic cosign tags
 * and Sigstore bundle referrers — each reported with the format it was found in.
 */
export interface VerifyImageRequest {
  digest: string
  repository: Repository
  keyFile: string
  annotations: Record<string, string>
  attestations: boolean
  type?: string
}

export interface VerifiedItem {
  format: 'classic' | 'bundle'
  predicateType?: string
  /** The simple-signing payload (classic signature) or the in-toto statement. */
  payload: unknown
}

export async function verifyImage(client: RegistryClient, request: VerifyImageRequest): Promise<{verified: VerifiedItem[]}> {
  const verifier = await loadVerifier(request.keyFile)
  const verified: VerifiedItem[] = []
  let examined = 0
  const rejected: string[] = []
  if (request.attestations) {
    const predicateType = request.type ? predicateTypeOf(request.type) : undefined
    const classic = await verifyClassicAttestations(client, {digest: request.digest, repository: request.repository, verifier, predicateType})
    const bundles = await verifyBundles(client, {digest: request.digest, repository: request.repository, verifier, annotations: {}, predicateType, ignoreTlog: true})
    examined += classic.examined + bundles.examined
    rejected.push(...bundles.rejected.map((r) => r.reason))
    verified.push(...classic.verified.map((v) => ({format: v.format, predicateType: v.predicateType, payload: v.statement})))
    verified.push(
      ...bundles.verified.filter((v) => v.predicateType !== COSIGN_SIGN_PREDICATE_TYPE).map((v) => ({format: v.format, predicateType: v.predicateType, payload: v.statement})),
    )
  } else {
    const classic = await verifyClassicSignatures(client, {digest: request.digest, signatureRepository: request.repository, verifier, annotations: request.annotations})
    const bundles = await verifyBundles(client, {
      digest: request.digest,
      repository: request.repository,
      verifier,
      annotations: request.annotations,
      predicateType: COSIGN_SIGN_PREDICATE_TYPE,
      ignoreTlog: true,
    })
    examined += classic.examined + bundles.examined
    rejected.push(...bundles.rejected.map((r) => r.reason))
    verified.push(...classic.verified.map((v) => ({format: v.format, payload: v.payload})))
    verified.push(...bundles.verified.map((v) => ({format: v.format, predicateType: v.predicateType, payload: v.statement})))
  }

  if (verified.length === 0) {
    const what = request.attestations ? `attestation${request.type ? ` of type ${request.type}` : ''}` : 'signature'
    const found = examined === 0 ? `no ${what}s found` : `none of ${examined} ${what}(s) verified with ${request.keyFile}`
    const needs = !request.attestations && examined > 0 && Object.keys(request.annotations).length > 0 ? ' and the given annotations' : ''
    throw new PluginError('VERIFY_FAILED', `${repositoryName(request.repository)}@${request.digest}: ${found}${needs}`)
  }

  return {verified}
}
