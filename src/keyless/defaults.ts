// Public Sigstore's service URLs, in a module of their own so that code which only needs the
// defaults does not load the sigstore packages (start-up time).

export const DEFAULT_FULCIO_URL = 'https://fulcio.sigstore.dev'
export const DEFAULT_REKOR_URL = 'https://rekor.sigstore.dev'
