#!/usr/bin/env node
// `sign --key`: the key's scrypt starts now, on the thread pool, while oclif loads.
const argv = process.argv.slice(2)
if (argv[0] === 'sign' && argv.some((arg) => arg === '--key' || arg.startsWith('--key='))) {
  const {prefetchKeyDerivation} = await import('../dist/keys/prefetch.js')
  prefetchKeyDerivation(argv, process.env)
}

const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
