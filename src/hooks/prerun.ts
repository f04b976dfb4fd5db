import {type Hook} from '@oclif/core'

import {PluginError, isPluginError} from '../errors.js'
import {HOST_BUILD, extendCommand, hostSignsItself, readSignOptions} from './build-flags.js'
import {failCommand} from './fail.js'

/**
 * Before the host's build parses: adds our flags to its class (so `this.parse(Build)` accepts
 * them) and, with --sign, checks everything that does not need the built image, so a bad config
 * or key fails in a second instead of after a long build.
 */
const hook: Hook.Prerun = async function ({Command, argv, config}) {
  if (Command.id !== HOST_BUILD || hostSignsItself(Command.flags)) return
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
