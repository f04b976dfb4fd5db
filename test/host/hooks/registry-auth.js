/**
 * The host's credentials, offered to the plugin through the `registry-auth` hook. They come from
 * PACK_TS_TEST_AUTH (JSON: {"<registry>": {"username", "password"}}), standing in for pack-ts's
 * own credential store; the docker config the plugin would read next does not have them.
 */
export default async function registryAuth({registry}) {
  const entry = JSON.parse(process.env.PACK_TS_TEST_AUTH ?? '{}')[registry]
  return entry ? {kind: 'basic', username: entry.username, password: entry.password} : undefined
}
