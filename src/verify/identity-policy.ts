import {PluginError} from '../errors.js'
import {type CertificateIdentity} from '../keyless/index.js'

// Who must have signed, as cosign's verify flags say it. Like cosign, a keyless signature needs
// an identity and an issuer constraint, exact or regular expression; a regular expression matches
// anywhere in the value (Go's MatchString) unless anchored, and a leading `(?i)` is honoured.

export interface IdentityPolicy {
  certificateIdentity?: string
  certificateIdentityRegexp?: string
  certificateOidcIssuer?: string
  certificateOidcIssuerRegexp?: string
}

export interface CompiledPolicy {
  matches(identity: CertificateIdentity): void
  describe(): string
}

type Matcher = {test(value: string): boolean; text: string}

export function compilePolicy(policy: IdentityPolicy): CompiledPolicy {
  const identity = matcher(policy.certificateIdentity, policy.certificateIdentityRegexp, '--certificate-identity')
  const issuer = matcher(policy.certificateOidcIssuer, policy.certificateOidcIssuerRegexp, '--certificate-oidc-issuer')
  return {
    describe: () => `identity ${identity.text} from issuer ${issuer.text}`,
    matches(found) {
      const names = found.subjectAlternativeNames
      if (!names.some((name) => identity.test(name))) {
        throw new PluginError(
          'VERIFY_FAILED',
          `the certificate was issued to ${names.map((n) => JSON.stringify(n)).join(', ') || 'no identity'}, not ${identity.text}`,
        )
      }

      if (!issuer.test(found.issuer)) {
        throw new PluginError('VERIFY_FAILED', `the certificate's OIDC issuer is ${JSON.stringify(found.issuer)}, not ${issuer.text}`)
      }
    },
  }
}

function matcher(exact: string | undefined, pattern: string | undefined, flag: string): Matcher {
  if (exact !== undefined && pattern !== undefined) {
    throw new PluginError('USAGE', `give ${flag} or ${flag}-regexp, not both`)
  }

  if (exact !== undefined && exact !== '') return {test: (value) => value === exact, text: JSON.stringify(exact)}
  if (pattern !== undefined && pattern !== '') {
    const regexp = compileRegexp(pattern, `${flag}-regexp`)
    return {test: (value) => regexp.test(value), text: `matching /${pattern}/`}
  }

  throw new PluginError('USAGE', `verifying a keyless signature needs ${flag} or ${flag}-regexp`)
}

function compileRegexp(pattern: string, flag: string): RegExp {
  const caseless = pattern.startsWith('(?i)')
  try {
    return new RegExp(caseless ? pattern.slice(4) : pattern, caseless ? 'i' : '')
  } catch (error) {
    throw new PluginError('USAGE', `${flag} ${JSON.stringify(pattern)} is not a valid regular expression`, {cause: error})
  }
}
