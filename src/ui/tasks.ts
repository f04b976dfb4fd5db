import {Listr, ListrLogger, type ListrTask, ProcessOutput} from 'listr2'

import {plainOutput} from './plain-output.js'

/**
 * How progress is shown: listr2's default renderer in a terminal; a plain line-per-event renderer
 * when stderr is not a TTY or CI is set; nothing with --json or --quiet. Progress always goes to
 * stderr so stdout stays pipeable (results, --json).
 */
export interface OutputMode {
  json: boolean
  quiet: boolean
}

export type Task<Ctx> = ListrTask<Ctx>

export async function runTasks<Ctx extends object>(tasks: Task<Ctx>[], ctx: Ctx, mode: OutputMode): Promise<Ctx> {
  const processOutput = new ProcessOutput(process.stderr, process.stderr)
  const list = new Listr<Ctx>(tasks, {
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
  return list.run()
}
