import {CIContextProvider, type IdentityProvider} from '@sigstore/sign'

import {messageOf, PluginError} from '../errors.js'
import {redact, rememberSecret} from '../util/secrets.js'
import {assertNotExpired, tokenClaims} from './jwt.js'

// Where the OIDC identity token for keyless signing comes from, in sigstore's (and cosign's)
// order: an explicit value (`--identity-token`), the SIGSTORE_ID_TOKEN environment variable, then
// the CI system's ambient token where @sigstore/sign can fetch one (GitHub Actions, through
// CIContextProvider). GitLab CI hands its token over as a variable: name it SIGSTORE_ID_TOKEN in
// the job's `id_tokens`. The choice is made up front so a missing token fails before any signing.

export type IdentityTokenSource = 'identity-token' | 'SIGSTORE_ID_TOKEN' | 'github-actions'

export interface IdentityToken extends IdentityProvider {
  readonly source: IdentityTokenSource
}

export interface IdentityTokenOptions {
  /** The `--identity-token` value. */
  identityToken?: string
  /** Defaults to process.env. (The GitHub Actions request itself always reads process.env.) */
  env?: NodeJS.ProcessEnv
  /** Audience requested from the CI provider; Fulcio's is `sigstore`. */
  audience?: string
}

export const SOURCE_DESCRIPTION: Record<IdentityTokenSource, string> = {
  'identity-token': '--identity-token',
  SIGSTORE_ID_TOKEN: 'SIGSTORE_ID_TOKEN',
  'github-actions': "GitHub Actions' OIDC provider",
}

export function identityToken(options: IdentityTokenOptions = {}): IdentityToken {
  const env = options.env ?? process.env
  if (options.identityToken !== undefined && options.identityToken.trim() !== '') {
    return staticToken('identity-token', options.identityToken.trim())
  }

  const fromEnv = env.SIGSTORE_ID_TOKEN?.trim()
  if (fromEnv) return staticToken('SIGSTORE_ID_TOKEN', fromEnv)
  if (env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) return githubActionsToken(options.audience)
  throw new PluginError('USAGE', noTokenMessage(env))
}

function staticToken(source: IdentityTokenSource, token: string): IdentityToken {
  rememberSecret(token)
  // Checked now rather than at the first signature, so a pasted wrong value fails fast.
  assertNotExpired(tokenClaims(token, SOURCE_DESCRIPTION[source]), SOURCE_DESCRIPTION[source])
  return {source, getToken: async () => token}
}

function githubActionsToken(audience = 'sigstore'): IdentityToken {
  // The request token that asks GitHub for the identity token is a secret too.
  rememberSecret(process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN)
  const provider = new CIContextProvider(audience)
  return {
    source: 'github-actions',
    async getToken() {
      let token: string
      try {
        token = await provider.getToken()
      } catch (error) {
        // CIContextProvider rejects with a bare string; say what was tried instead.
        throw new PluginError(
          'SIGSTORE_SERVICE',
          `could not get an identity token from GitHub Actions' OIDC provider (${redact(messageOf(error))}); check the job has \`permissions: id-token: write\``,
          {cause: error},
        )
      }

      rememberSecret(token)
      tokenClaims(token, SOURCE_DESCRIPTION['github-actions'])
      return token
    },
  }
}

function noTokenMessage(env: NodeJS.ProcessEnv): string {
  const ways = 'pass --identity-token, set SIGSTORE_ID_TOKEN, or run in GitHub Actions with `permissions: id-token: write`'
  if (env.GITHUB_ACTIONS === 'true') {
    return `keyless signing needs an OIDC identity token and this GitHub Actions job offers none: add \`permissions: id-token: write\` to the job, or ${ways}`
  }

  if (env.GITLAB_CI === 'true') {
    return `keyless signing needs an OIDC identity token: in GitLab CI declare \`id_tokens: SIGSTORE_ID_TOKEN: aud: sigstore\` on the job, or ${ways}`
  }

  return `keyless signing needs an OIDC identity token: ${ways}`
}
