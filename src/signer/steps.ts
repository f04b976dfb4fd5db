import {mapLimit} from '../util/map-limit.js'

// The signer phase as steps, so the pipeline knows nothing of terminals: cli/ draws the steps with
// listr2, and a caller without a terminal (the library API, tests) runs them with runSteps.

/** One step: work of its own, or a group of sub-steps (built when the step starts). */
export interface Step<Ctx> {
  title: string
  /** Not run (and shown as skipped) when this says so at the step's turn. */
  skip?: (ctx: Ctx) => boolean
  run?: (ctx: Ctx) => Promise<void> | void
  /** Sub-steps that all run, at most `concurrency` at once; a failing one does not stop the rest (each records its failure on ctx). */
  steps?: (ctx: Ctx) => Step<Ctx>[]
  concurrency?: number
}

/** Runs top-level steps in order and stops at the first failure, which it rethrows. */
export type StepRunner = <Ctx extends object>(steps: Step<Ctx>[], ctx: Ctx) => Promise<void>

/** The runner with no output at all. */
export const runSteps: StepRunner = async (steps, ctx) => {
  for (const step of steps) await runStep(step, ctx)
}

async function runStep<Ctx>(step: Step<Ctx>, ctx: Ctx): Promise<void> {
  if (step.skip?.(ctx)) return
  await step.run?.(ctx)
  if (!step.steps) return
  const children = step.steps(ctx)
  await mapLimit(children, step.concurrency ?? children.length, async (child) => runStep(child, ctx).catch(() => undefined))
}
