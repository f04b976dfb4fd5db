import {Listr, ListrLogger, type ListrTask, ProcessOutput} from 'listr2'

import {type Step, type StepRunner} from '../signer/steps.js'
import {plainOutput} from './plain-output.js'

// How progress is shown: listr2's default renderer in a terminal; a plain line-per-event renderer
// when stderr is not a TTY or CI is set; nothing with --json or --quiet. Progress always goes to
// stderr so stdout stays pipeable (results, --json).

export interface OutputMode {
  json: boolean
  quiet: boolean
}

/** A StepRunner that draws the pipeline's steps as listr2 tasks. */
export function listrSteps(mode: OutputMode): StepRunner {
  return async (steps, ctx) => {
    const processOutput = new ProcessOutput(process.stderr, process.stderr)
    const list = new Listr(steps.map(toTask), {
      ctx,
      concurrent: false,
      exitOnError: true,
      renderer: 'default',
      fallbackRenderer: 'simple',
      fallbackRendererCondition: plainOutput,
      silentRendererCondition: () => mode.json || mode.quiet,
      rendererOptions: {logger: new ListrLogger({processOutput}), collapseSubtasks: false, collapseErrors: true},
      fallbackRendererOptions: {logger: new ListrLogger({processOutput})},
      collectErrors: false,
      // Ctrl-C is the command's (cli/interrupt.ts): listr2's own handler would exit 127 mid-write.
      registerSignalListeners: false,
    })
    await list.run()
  }
}

function toTask<Ctx>(step: Step<Ctx>): ListrTask<Ctx> {
  return {
    title: step.title,
    ...(step.skip ? {skip: step.skip} : {}),
    task: async (ctx, task) => {
      await step.run?.(ctx)
      if (step.steps) return task.newListr(step.steps(ctx).map(toTask), {concurrent: step.concurrency ?? true, exitOnError: false})
    },
  }
}
