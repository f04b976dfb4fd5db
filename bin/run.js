#!/usr/bin/env node
// `sign --key` / `sign --cosign-config`: the keys' scrypt starts now, on the thread pool, while
// oclif loads. A `pkcs11:` key (in an HSM or token) has none.
const argv = process.argv.slice(2)
const hasFlag = (flag) => argv.some((arg) => arg === flag || arg.startsWith(`${flag}=`))
const pkcs11Key = argv.some((arg, i) => /^(--key=)?pkcs11:/i.test(arg) && (arg.startsWith('--key=') || argv[i - 1] === '--key'))
if (argv[0] === 'sign' && hasFlag('--key') && !pkcs11Key) {
  const {prefetchKeyDerivation} = await import('../dist/keys/prefetch.js')
  prefetchKeyDerivation(argv, process.env)
} else if (argv[0] === 'sign' && hasFlag('--cosign-config')) {
  const {prefetchConfigKeys} = await import('../dist/keys/prefetch.js')
  await prefetchConfigKeys(argv, process.env)
}

// The execute entry alone: the full @oclif/core index loads only with a command that needs it.
const {execute} = await import('@oclif/core/execute')
await execute({dir: import.meta.url})
