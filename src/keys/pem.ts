import {PluginError} from '../errors.js'

export interface PemBlock {
  readonly label: string
  /** True when RFC 1421 headers (e.g. legacy OpenSSL `Proc-Type: 4,ENCRYPTED`) precede the body. */
  readonly hasHeaders: boolean
  readonly der: Buffer
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/** Every well-formed PEM block in the text, in order; text around blocks is ignored like Go does. */
export function decodePemBlocks(text: string, source: string): PemBlock[] {
  const blocks: PemBlock[] = []
  for (const match of text.matchAll(BLOCK)) {
    const [, label, body] = match as unknown as [string, string, string]
    const lines = body.split(/\r?\n/)
    const hasHeaders = lines.some((line) => line.includes(':'))
    const base64 = lines.filter((line) => !line.includes(':')).join('').replaceAll(/\s/g, '')
    if (!BASE64.test(base64) || base64.length % 4 !== 0) {
      throw new PluginError('KEY_INVALID', `${source} has a ${label} PEM block whose body is not valid base64`)
    }

    blocks.push({label, hasHeaders, der: Buffer.from(base64, 'base64')})
  }

  return blocks
}

/** PEM as Go's pem.EncodeToMemory writes it (and so cosign): 64-column lines, final newline. */
export function encodePem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? []
  return [`-----BEGIN ${label}-----`, ...lines, `-----END ${label}-----`, ''].join('\n')
}
