import {Flags} from '@oclif/core'

import {listKeysFromFlags} from '../../cli/pkcs11.js'
import {type KeyListing} from '../../keys/pkcs11/index.js'
import {BaseCommand} from '../../ui/base-command.js'

export default class ListKeys extends BaseCommand {
  static override summary = "List the private keys of a token with the pkcs11: URI that signs with each (sign --key URI)."
  static override description = `Like cosign pkcs11-tool list-keys-uris. Logs in when the token requires it: the PIN comes from \
--password-file, else COSIGN_PKCS11_PIN or COSIGN_PASSWORD, else a prompt in a terminal. The URIs hold no PIN. With --json, each key \
also carries its public key (PEM), read from the token: what cosign verify --key and other verifiers take.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --module-path /usr/lib/softhsm/libsofthsm2.so --slot-id 1866532849',
    {
      description: "Save a key's public key for cosign verify.",
      command: '$ COSIGN_PASSWORD="$PIN" <%= config.bin %> <%= command.id %> --module-path /usr/lib/softhsm/libsofthsm2.so --token release --json | jq -r \'.[0].publicKey\' > release.pub',
    },
  ]

  static override enableJsonFlag = true
  static override flags = {
    'module-path': Flags.string({summary: 'The PKCS#11 module (shared library) of the HSM or token.', helpValue: 'FILE', required: true}),
    'slot-id': Flags.string({summary: 'The slot of the token, as pkcs11 list-tokens prints it.', helpValue: 'N', exclusive: ['token']}),
    token: Flags.string({summary: 'The label of the token, instead of --slot-id.', helpValue: 'LABEL', exclusive: ['slot-id']}),
    'password-file': Flags.string({summary: "File holding the token's user PIN (default: COSIGN_PKCS11_PIN, COSIGN_PASSWORD, or a prompt).", helpValue: 'FILE'}),
  }

  async run(): Promise<KeyListing[]> {
    const {flags} = await this.parse(ListKeys)
    return listKeysFromFlags(flags, {log: (line) => this.log(line)})
  }
}
