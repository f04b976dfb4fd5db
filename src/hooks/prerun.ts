import {type Hook} from '@oclif/core'

import {HOST_BUILD} from './host-build.js'

/**
 * Before the host's build parses: adds our flags to its class (so `this.parse(Build)` accepts
 * them) and, with --sign, checks everything that does not need the built image, so a bad config
 * or key fails in a second instead of after a long build.
 */
const hook: Hook.Prerun = async function ({Command, argv, config}) {
  if (Command.id !== HOST_BUILD) return
  const [{extendCommand, hostSignsItself, readSignOptions}, {failCommand}, {PluginError, isPluginError}] = await Promise.all([
    import('./build-flags.js'),
    import('./fail.js'),
    import('../errors.js'),
  ])
  if (hostSignsItself(Command.flags)) return
  extendCommand(Command)
  const options = await readSignOptions(Command, argv, config)
  if (!options) return
  try {
    const {checkBeforeBuild} = await import('./sign-build.js')
    await checkBeforeBuild(options)
  } catch (error) {
    failCommand(this, isPluginError(error) ? new PluginError(error.code, `${error.message} (checked before building; the build did not run)`) : error)
  }
}

export default hook
