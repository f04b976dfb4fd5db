import {type Config, type Hook} from '@oclif/core'

import {HOST_BUILD} from './host-build.js'

/**
 * After the host's build succeeded: the signer phase on the report the build resolved, exactly
 * as `sign --report --cosign-config` runs it and prints it. oclif skips postrun when the build
 * throws, so a failed build is never signed.
 */
const hook: Hook.Postrun = async function ({Command, argv, config, result}) {
  if (Command.id !== HOST_BUILD) return
  const [{hostSignsItself, readSignOptions}, {failCommand}] = await Promise.all([import('./build-flags.js'), import('./fail.js')])
  if (hostSignsItself(Command.flags)) return
  const options = await readSignOptions(Command, argv, config)
  // prerun refused --sign without a config; a build that set a failing exit code without throwing is not signed.
  if (!options?.sign || !options.cosignConfig || process.exitCode) return
  try {
    const {signBuild} = await import('./sign-build.js')
    // Hooks are typed with oclif's Config interface; at run time this is the host's Config instance.
    await signBuild(config as Config, {...options, cosignConfig: options.cosignConfig}, result)
  } catch (error) {
    failCommand(this, error)
  }
}

export default hook
