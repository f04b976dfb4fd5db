import {chmodSync, mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

/** A DOCKER_CONFIG dir with `auths` entries, as `docker login` leaves it. */
export function dockerConfigDir(auths: Record<string, {username: string; password: string}>, extra: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'docker-config-'))
  const entries = Object.fromEntries(
    Object.entries(auths).map(([host, c]) => [host, {auth: Buffer.from(`${c.username}:${c.password}`).toString('base64')}]),
  )
  writeFileSync(join(dir, 'config.json'), JSON.stringify({auths: entries, ...extra}))
  return dir
}

/**
 * A real `docker-credential-<name>` script on a PATH dir, answering `get` for one server with
 * fixed credentials and "credentials not found" otherwise, as docker's helpers do.
 */
export function credentialHelperDir(name: string, server: string, username: string, secret: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cred-helper-'))
  mkdirSync(dir, {recursive: true})
  const script = join(dir, `docker-credential-${name}`)
  writeFileSync(
    script,
    `#!/bin/sh
[ "$1" = get ] || exit 1
read server
if [ "$server" = "${server}" ]; then
  printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}\\n' "$server" "${username}" "${secret}"
else
  echo "credentials not found in native keychain"
  exit 1
fi
`,
  )
  chmodSync(script, 0o755)
  return dir
}
