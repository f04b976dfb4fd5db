import {type Hook} from '@oclif/core'

import {HOST_BUILD} from './host-build.js'

/**
 * Help reads the cached command (the host's manifest), not the class: adding our flags there is
 * what makes `pack-ts build --help` list --sign and --cosign-config. Runs for every command, so it
 * stays cheap; standalone (no `build`) it does nothing.
 */
const hook: Hook.Init = async function ({config}) {
  const build = config.findCommand(HOST_BUILD)
  if (!build) return
  const {addedFlags, hostSignsItself} = await import('./build-flags.js')
  if (hostSignsItself(build.flags)) return
  const added = Object.entries(addedFlags(build.flags)).map(([name, flag]) => [name, {...flag, name}])
  build.flags = {...Object.fromEntries(added), ...build.flags}
}

export default hook
