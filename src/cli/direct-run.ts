import {isPluginError, PluginError} from '../errors.js'
import {repositoryName} from '../reference/reference.js'
import {type RegistryClient} from '../registry/client.js'
import {type DirectSignOptions, type ImageOutcome, type SignedImage, incompleteRun, outcomeJson, signImages} from '../signer/direct.js'
import {type ResolvedImage} from '../signer/resolve.js'
import {plainOutput} from '../ui/plain-output.js'
import {Interrupts} from './interrupt.js'

/**
 * `sign IMAGE...` as a person sees it: each image's `Signed …` line on stdout as soon as it is
 * done, a counter on stderr in a terminal, and at the end either the signatures or one error that
 * counts what is missing, after one line per distinct cause. Ctrl-C stops new writes (see
 * Interrupts) and reports the same way.
 */
export interface DirectOutput {
  log(line: string): void
  logToStderr(line: string): void
  quiet: boolean
  json: boolean
}

export async function runDirectSigning(
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
