import {AsyncLocalStorage} from 'node:async_hooks'

import {sleep} from './sleep.js'

/**
 * At most `limit` tasks at work at once, where waiting on a timer is not work: a task pausing
 * (a writer's read-back wait) gives its slot to the next task meanwhile, and takes one back ahead
 * of tasks not yet started, so a batch keeps the registry busy and finishes what it began first.
 */
export class WorkSlots {
  private active = 0
  private readonly starting: (() => void)[] = []
  private readonly resuming: (() => void)[] = []

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire(this.starting)
    try {
      return await heldSlots.run(this, task)
    } finally {
      this.release()
    }
  }

  async pause(ms: number): Promise<void> {
    this.release()
    try {
      await sleep(ms)
    } finally {
      await this.acquire(this.resuming)
    }
  }

  private acquire(queue: (() => void)[]): Promise<void> {
    if (this.active < this.limit) {
      this.active++
      return Promise.resolve()
    }

    return new Promise((resolve) => queue.push(resolve))
  }

  /** The slot passes straight to a waiter (resuming first), or becomes free. */
  private release(): void {
    const next = this.resuming.shift() ?? this.starting.shift()
    if (next) next()
    else this.active--
  }
}

const heldSlots = new AsyncLocalStorage<WorkSlots>()

/** Waits `ms`; inside WorkSlots.run, the slot is lent to other tasks meanwhile. */
export function pauseWork(ms: number): Promise<void> {
  const slots = heldSlots.getStore()
  return slots ? slots.pause(ms) : sleep(ms)
}
