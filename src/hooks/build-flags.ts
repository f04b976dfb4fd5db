import {type Command, Flags, type Interfaces, Parser} from '@oclif/core'

// The flags `build --sign` adds to the host's `build`, and reading them back from argv. Shared by
// the init hook (help), prerun (parse, fail fast) and postrun (sign).

export {HOST_BUILD} from './host-build.js'

/** Marks the flag definitions this plugin added, so a host's own `--sign` is told apart from ours. */
const OURS = Symbol.for('@pack-ts/plugin-sign:flag')

type AnyFlag = Interfaces.Flag<any>
type FlagTable = Record<string, {char?: string; [OURS]?: true}>

export interface SignOptions {
  sign: boolean
  cosignConfig?: string
  quiet: boolean
  json: boolean
  insecureRegistries: string[]
}

/** A host whose build already has `--sign` or `--cosign-config` signs by itself: we stay out. */
export function hostSignsItself(flags: FlagTable | undefined): boolean {
  return ['sign', 'cosign-config'].some((name) => flags?.[name] !== undefined && !flags[name]![OURS])
}

/**
 * Our flags, minus any the host already has (the host's definition wins: pack's own `--quiet` and
 * `--insecure-registry` mean the same). No defaults, so a build run without them parses exactly
 * as before.
 */
export function addedFlags(existing: FlagTable): Record<string, AnyFlag> {
  const chars = new Set(Object.values(existing).map((f) => f.char))
  const flags: Record<string, AnyFlag> = {
    sign: Flags.boolean({summary: 'After a successful build, sign the image and export its SBOM as --cosign-config says.', helpGroup: 'SIGN'}),
    'cosign-config': Flags.string({summary: 'cosign.toml: keys, repositories, annotations, SBOM export (with --sign).', helpValue: 'FILE', helpGroup: 'SIGN'}),
  }
  if (!existing.quiet) {
    flags.quiet = Flags.boolean({...(chars.has('q') ? {} : {char: 'q' as const}), summary: 'No signing progress; errors only.', helpGroup: 'SIGN'})
  }

  if (!existing['insecure-registry']) {
    flags['insecure-registry'] = Flags.string({summary: 'Registry host whose TLS certificate is not verified, or that is reached over plain HTTP (repeatable); trusting its CA through NODE_EXTRA_CA_CERTS is safer.', multiple: true, helpValue: 'HOST', helpGroup: 'SIGN'})
  }

  for (const flag of Object.values(flags)) Object.assign(flag, {[OURS]: true})
  return flags
}

/** Adds our flags to the loaded command class (again is harmless); its own `this.parse(Build)` then accepts them. */
export function extendCommand(command: Command.Class): void {
  const current = {...command.baseFlags, ...command.flags} as FlagTable
  command.flags = {...addedFlags(current), ...command.flags}
}

/**
 * Reads our flags from the build's argv with oclif's parser and the command's full flag set, so
 * `--cosign-config=x`, `-q` and the host's flags parse as the command itself parses them.
 * Undefined when argv does not mention signing (the usual build: nothing to do) or does not parse
 * (the command reports that itself, in its own words).
 */
export async function readSignOptions(command: Command.Class, argv: string[], config: Interfaces.Config): Promise<SignOptions | undefined> {
  if (!mentionsSigning(argv)) return undefined
  const json = command.enableJsonFlag ? {json: Flags.boolean()} : {}
  try {
    const {flags} = await Parser.parse(argv, {
      flags: {...command.baseFlags, ...command.flags, ...json},
      args: command.args ?? {},
      strict: command.strict ?? true,
      context: {config, argv, id: command.id} as never,
    })
    const value = flags as Record<string, unknown>
    return {
      sign: value.sign === true,
      cosignConfig: typeof value['cosign-config'] === 'string' ? value['cosign-config'] : undefined,
      quiet: value.quiet === true,
      json: value.json === true,
      insecureRegistries: [value['insecure-registry'] ?? []].flat().filter((host): host is string => typeof host === 'string'),
    }
  } catch {
    return undefined
  }
}

function mentionsSigning(argv: string[]): boolean {
  const end = argv.indexOf('--')
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => /^--(sign|cosign-config)(=|$)/.test(arg))
}
