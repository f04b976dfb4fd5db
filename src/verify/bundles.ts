import {type BundleWithDsseEnvelope, bundleFromJSON} from '@sigstore/bundle'
import {type VerificationPolicy} from '@sigstore/verify'

import {messageOf} from '../errors.js'
import {type Repository} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {type ReferrersSource} from '../registry/referrers.js'
import {type SignerInfo} from './classic-signatures.js'
import {IN_TOTO_PAYLOAD_TYPE} from '../formats/dsse.js'
import {readBundleReferrers} from '../formats/bundle/read.js'
import {type TrustOptions, bundleVerifier} from './sigstore-verifier.js'
import {type InTotoStatement, parseStatement} from '../formats/bundle/statement.js'

// cosign verify / verify-attestation for bundles attached as referrers: each bundle is checked by
// @sigstore/verify against the trust material (our public key, or a trusted root for keyless),
// then its statement must name the image digest and carry the required annotations.

export interface BundleVerifyRequest extends TrustOptions {
  digest: string
  /** Where the referrers are: the image's repository, or the signature repository. */
  repository: Repository
  /** Certificate identity to require (keyless). */
  policy?: VerificationPolicy
  /** Required subject annotations (cosign -a); only signature statements carry them. */
  annotations: Record<string, string>
  /** Only statements of this predicate type; undefined: any (the result says which). */
  predicateType?: string
  /**
   * Checks each bundle instead of @sigstore/verify with the trust options above (e.g. cosign's
   * keyless rules with an identity policy): returns the signer, throws saying why it does not verify.
   */
  check?: (bundle: BundleWithDsseEnvelope) => SignerInfo
}

export interface VerifiedBundle extends SignerInfo {
  format: 'bundle'
  referrerDigest: string
  predicateType: string
  statement: InTotoStatement
}

export interface BundleVerifyResult {
  verified: VerifiedBundle[]
  /** Bundles of the requested predicate type looked at (or unreadable ones, which count as looked at). */
  examined: number
  /** Why each examined bundle failed, for the message when none verified. */
  rejected: {referrerDigest: string; reason: string}[]
  via: ReferrersSource
}

export async function verifyBundles(client: RegistryClient, request: BundleVerifyRequest): Promise<BundleVerifyResult> {
  const check = request.check ?? defaultCheck(request)
  const {via, referrers} = await readBundleReferrers(client, request.repository, request.digest)
  const result: BundleVerifyResult = {verified: [], examined: 0, rejected: [], via}
  for (const referrer of referrers) {
    const reject = (reason: string) => result.rejected.push({referrerDigest: referrer.digest, reason})
    const parsed = parseBundle(referrer.bundle)
    // Bundles of other predicate types are not candidates (a signature check skips attestations).
    if ('statement' in parsed && request.predicateType && parsed.statement.predicateType !== request.predicateType) continue
    result.examined++
    if ('problem' in parsed) {
      reject(referrer.problem ?? parsed.problem)
      continue
    }

    try {
      const signer = check(parsed.bundle)
      const problem = subjectProblem(parsed.statement, request)
      if (problem) {
        reject(problem)
        continue
      }

      result.verified.push({
        format: 'bundle',
        referrerDigest: referrer.digest,
        predicateType: parsed.statement.predicateType,
        statement: parsed.statement,
        ...(signer.identity ? {identity: signer.identity} : {}),
      })
    } catch (error) {
      reject(messageOf(error))
    }
  }

  return result
}

/** @sigstore/verify with the request's key or trust material, and its (exact-match) policy. */
function defaultCheck(request: BundleVerifyRequest): (bundle: BundleWithDsseEnvelope) => SignerInfo {
  const bundles = bundleVerifier(request)
  return (bundle) => {
    const identity = bundles.verify(bundle, request.policy).identity
    if (!identity) return {}
    return {identity: {subjectAlternativeNames: identity.subjectAlternativeName ? [identity.subjectAlternativeName] : [], issuer: identity.extensions?.issuer ?? ''}}
  }
}

/** A DSSE bundle and the in-toto statement it carries (not yet verified), or why it is neither. */
function parseBundle(json: unknown): {bundle: BundleWithDsseEnvelope; statement: InTotoStatement} | {problem: string} {
  let bundle
  try {
    bundle = bundleFromJSON(json)
  } catch (error) {
    return {problem: `not a valid Sigstore bundle: ${messageOf(error)}`}
  }

  if (bundle.content.$case !== 'dsseEnvelope') return {problem: 'not a DSSE bundle'}
  const envelope = bundle.content.dsseEnvelope
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) return {problem: `payload type ${envelope.payloadType} is not an in-toto statement`}
  const statement = parseStatement(envelope.payload)
  if (!statement) return {problem: 'the payload is not an in-toto statement'}
  return {bundle: bundle as BundleWithDsseEnvelope, statement}
}

/** Why a verified statement does not attest this digest with the annotations asked for, if it does not. */
function subjectProblem(statement: InTotoStatement, request: BundleVerifyRequest): string | undefined {
  const [algorithm, hex] = request.digest.split(':') as [string, string]
  const subject = statement.subject.find((s) => s?.digest?.[algorithm] === hex)
  if (!subject) return `the statement is about another image, not ${request.digest}`
  const missing = Object.entries(request.annotations).filter(([key, value]) => subject.annotations?.[key] !== value)
  if (missing.length > 0) return `annotation ${missing.map(([k, v]) => `${k}=${v}`).join(', ')} not in the statement`
  return undefined
}
