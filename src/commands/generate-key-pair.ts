import {Flags} from '@oclif/core'

import {assertCanWrite, generateKeyPair, keyPairPaths, newKeyPassword, writeKeyPair} from '../keys/index.js'
import {BaseCommand} from '../ui/base-command.js'

export default class GenerateKeyPair extends BaseCommand {
  static override summary = 'Generate a cosign-compatible key pair for signing images.'

  static override description = `Writes <prefix>.key, an ECDSA P-256 private key encrypted the way cosign encrypts it \
(ENCRYPTED SIGSTORE PRIVATE KEY, scrypt + nacl/secretbox, mode 0600), and <prefix>.pub, its public key as PEM. \
Both files work with cosign itself.

The password comes from --password-file (its contents, one trailing newline removed), else the \
COSIGN_PASSWORD environment variable (empty means an empty password), else a prompt (asked twice) \
when stdin is a terminal.`

  static override examples = [
    {description: 'Write cosign.key and cosign.pub, prompting for a password.', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'Non-interactively, e.g. in CI.',
      // oclif adds `$ ` only to commands that start with the bin.
      command: '$ COSIGN_PASSWORD="$KEY_PASSWORD" <%= config.bin %> <%= command.id %> --output-key-prefix release',
    },
    {
      description: 'Replace an existing key pair, password from a file.',
      command: '<%= config.bin %> <%= command.id %> --force --password-file ./key-password.txt',
    },
  ]

  static override enableJsonFlag = true

  static override flags = {
    'output-key-prefix': Flags.string({
      summary: 'Path prefix of the files to write: <prefix>.key and <prefix>.pub.',
      default: 'cosign',
    }),
    force: Flags.boolean({summary: 'Overwrite existing key files.', default: false}),
    'password-file': Flags.string({summary: 'File holding the password that encrypts the private key.'}),
  }

  async run(): Promise<{privateKey: string; publicKey: string}> {
    const {flags} = await this.parse(GenerateKeyPair)
    const paths = keyPairPaths(flags['output-key-prefix'])
    await assertCanWrite(paths, flags.force)
    const password = await newKeyPassword(paths.privateKey, {passwordFile: flags['password-file']})
    await writeKeyPair(paths, await generateKeyPair(password), flags.force)
    // cosign reports on stderr; stdout is left for --json.
    this.logToStderr(`Private key written to ${paths.privateKey}`)
    this.logToStderr(`Public key written to ${paths.publicKey}`)
    return {privateKey: paths.privateKey, publicKey: paths.publicKey}
  }
}
