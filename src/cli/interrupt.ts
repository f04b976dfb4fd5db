import {PluginError} from '../errors.js'

/**
 * Ctrl-C (SIGINT) and SIGTERM during a signing run. The first stops new writes: the pipeline sees
 * `signal` aborted and starts nothing more, what is in flight may finish for `graceMs`, and the
 * command then reports what was and was not signed. A second signal exits at once.
 */
const GRACE_MS = 5000

export class Interrupts {
  private readonly controller = new AbortController()
  private received?: NodeJS.Signals
  private timer?: NodeJS.Timeout
  private elapse!: () => void
  /** Settles `graceMs` after the first signal: in-flight writes had their chance. */
  readonly graceElapsed = new Promise<'grace-elapsed'>((resolve) => (this.elapse = () => resolve('grace-elapsed')))
  private readonly onSignal = (signal: NodeJS.Signals) => this.handle(signal)

  constructor(
    private readonly notify: (line: string) => void,
    private readonly graceMs = GRACE_MS,
  ) {
    process.on('SIGINT', this.onSignal)
    process.on('SIGTERM', this.onSignal)
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  get interrupted(): boolean {
    return this.received !== undefined
  }

  /** The error a run stopped by a signal ends with: exit 130 (SIGINT) or 143 (SIGTERM). */
  error(message: string, details?: unknown): PluginError {
    return new PluginError(this.received === 'SIGTERM' ? 'TERMINATED' : 'INTERRUPTED', message, {details})
  }

  dispose(): void {
    process.off('SIGINT', this.onSignal)
    process.off('SIGTERM', this.onSignal)
    clearTimeout(this.timer)
  }

  private handle(signal: NodeJS.Signals): void {
    if (this.received) {
      this.notify(`Error: ${signal} again: stopped at once; run the same command again to finish (nothing is added twice)`)
      process.exit(signal === 'SIGTERM' ? 143 : 130)
    }

    this.received = signal
    this.notify(`${signal === 'SIGINT' ? 'Interrupted' : 'Terminated'}: no new writes; finishing those under way (at most ${Math.round(this.graceMs / 1000)} s; ${signal === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'} again to stop now)`)
    this.controller.abort()
    this.timer = setTimeout(this.elapse, this.graceMs)
    this.timer.unref()
  }
}
