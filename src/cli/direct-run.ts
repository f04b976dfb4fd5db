import {type Config} from '@oclif/core'

import {isPluginError, PluginError} from '../errors.js'
import {parseReference, parseRepositoryName, repositoryName} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {type DirectSignOptions, type ImageOutcome, type SignedImage, incompleteRun, outcomeJson, signImages} from '../signer/direct.js'
import {type ResolvedImage, resolveWhileSigning} from '../signer/resolve.js'
import {plainOutput} from '../ui/plain-output.js'
import {parseAnnotationFlags} from './annotations.js'
import {Interrupts} from './interrupt.js'
import {createRegistryClient} from './registry-context.js'
import {type SigningFlags, signingFromFlags} from './signing-flags.js'

// `sign IMAGE...` as a person sees it: each image's `Signed …` line on stdout as soon as it is
// done, a counter on stderr in a terminal, and at the end either the signatures or one error that
// counts what is missing, after one line per distinct cause. Ctrl-C stops new writes (see
// Interrupts) and reports the same way.

export interface DirectOutput {
  log(line: string): void
  logToStderr(line: string): void
  quiet: boolean
  json: boolean
}

/** `sign IMAGE...`'s flags, as the command parsed them. */
export interface DirectFlags extends SigningFlags {
  annotations?: string[]
  repository?: string
  'docker-media-types': boolean
  format: 'classic' | 'bundle' | 'both'
  concurrency: number
  'insecure-registry'?: string[]
  'registry-ca'?: string[]
  'registry-timeout'?: number
}

export async function signImagesFromFlags(config: Config, names: readonly string[], flags: DirectFlags, output: DirectOutput): Promise<SignedImage[]> {
  if (names.length === 0) throw new PluginError('USAGE', 'no image to sign: name at least one IMAGE, or use --report')
  // Every input is checked before the network is touched, and every image before anything is written.
  const signing = await signingFromFlags(flags)
  const references = names.map((name) => parseReference(name))
  const annotations = parseAnnotationFlags(flags.annotations)
  const repository = flags.repository ? parseRepositoryName(flags.repository) : undefined
  const client = createRegistryClient(config, {insecureRegistries: flags['insecure-registry'], registryCaFiles: flags['registry-ca'], timeoutSeconds: flags['registry-timeout']})
  const prepared = await resolveWhileSigning(client, references, signing.start, flags.concurrency)
  if (signing.keyless && !output.quiet && !output.json) {
    const {identity} = await signing.keyless.witnessing.certificate()
    const who = identity.subjectAlternativeNames[0] ?? 'an identity without a name'
    output.logToStderr(`Signing keyless as ${who} (issuer ${identity.issuer}), certificate from ${signing.keyless.fulcioUrl}; logging in Rekor at ${signing.keyless.witnessing.rekorUrl}`)
  }

  const options = {...prepared.signing, annotations, repository, dockerMediaTypes: flags['docker-media-types'], format: flags.format, concurrency: flags.concurrency}
  return runDirectSigning(client, prepared.images, options, output)
}

async function runDirectSigning(
  client: RegistryClient,
  images: readonly ResolvedImage[],
  options: Omit<DirectSignOptions, 'signal' | 'onOutcome'>,
  output: DirectOutput,
): Promise<SignedImage[]> {
  const interrupts = new Interrupts((line) => output.logToStderr(line))
  const counter = output.quiet || output.json || plainOutput() ? undefined : new Counter(images.length)
  const settled: ImageOutcome[] = []
  const onOutcome = (outcome: ImageOutcome) => {
    settled.push(outcome)
    counter?.clear()
    if (!output.quiet && !output.json) {
      for (const signed of outcome.signatures) {
        const how = signed.format === 'bundle' ? ' (bundle referrer)' : ''
        output.log(`${signed.appended ? 'Signed' : 'Already signed'} ${signed.image} → ${signed.signature}${how}`)
      }
    }

    counter?.update(settled.length)
  }

  try {
    const run = signImages(client, images, {...options, signal: interrupts.signal, onOutcome})
    const finished = await Promise.race([run, interrupts.graceElapsed])
    counter?.clear()
    const outcomes = finished === 'grace-elapsed' ? withPending(images, settled) : finished
    return finish(outcomes, images.length, interrupts, output)
  } finally {
    interrupts.dispose()
  }
}

function finish(outcomes: ImageOutcome[], total: number, interrupts: Interrupts, output: DirectOutput): SignedImage[] {
  const incomplete = incompleteRun(outcomes)
  if (!incomplete) return outcomes.flatMap((o) => o.signatures)
  const details = outcomes.map(outcomeJson)
  if (interrupts.interrupted) {
    for (const cause of incomplete.causes) output.logToStderr(`  ${cause}`)
    throw interrupts.error(`interrupted: ${incomplete.message}`, details)
  }

  // One image: its own error (auth, not found, ...) says more than "incomplete".
  const only = outcomes[0]
  if (total === 1 && only?.status === 'failed' && isPluginError(only.error)) throw only.error
  for (const cause of incomplete.causes) output.logToStderr(`  ${cause}`)
  throw new PluginError('SIGNING_INCOMPLETE', incomplete.message, {details})
}

/** After the grace period: images whose write never settled are reported as under way, not signed. */
function withPending(images: readonly ResolvedImage[], settled: ImageOutcome[]): ImageOutcome[] {
  const known = new Map(settled.map((o) => [o.name, o]))
  return images.map(
    (image) =>
      known.get(image.name) ?? {name: image.name, subject: `${repositoryName(image.repository)}@${image.digest}`, status: 'unconfirmed', signatures: [], cause: 'still being written when the run stopped'},
  )
}

/** `Signing: 12 of 200 images done`, redrawn in place on stderr (a terminal only). */
class Counter {
  private shown = false

  constructor(private readonly total: number) {
    this.update(0)
  }

  update(done: number): void {
    process.stderr.write(`\r\u001B[2KSigning: ${done} of ${this.total} image${this.total === 1 ? '' : 's'} done`)
    this.shown = true
  }

  clear(): void {
    if (this.shown) process.stderr.write('\r\u001B[2K')
    this.shown = false
  }
}
