/**
 * The host command this plugin extends. Its own module, free of @oclif/core, so the hooks that
 * run for every command (init on `--help`, prerun for `sign`) load nothing more unless it is `build`.
 */
export const HOST_BUILD = 'build'
