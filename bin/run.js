#!/usr/bin/env node
// `sign --key`: the key's scrypt starts now, on the thread pool, while oclif loads.
const argv = process.argv.slice(2)
if (argv[0] === 'sign' && argv.some((arg) => arg === '--key' || arg.startsWith('--key='))) {
  const {prefetchKeyDerivation} = await import('../dist/keys/prefetch.js')
  prefetchKeyDerivation(argv, process.env)
}

// The execute entry alone: the full @oclif/core index loads only with a command that needs it.
const {execute} = await import('@oclif/core/execute')
await execute({dir: import.meta.url})
