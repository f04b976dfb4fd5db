import {Flags} from '@oclif/core'

import {listTokensFromFlags} from '../../cli/pkcs11.js'
import {type TokenListing} from '../../keys/pkcs11/index.js'
import {BaseCommand} from '../../ui/base-command.js'

export default class ListTokens extends BaseCommand {
  static override summary = 'List the tokens of a PKCS#11 module: slot id, label, manufacturer, model, serial number.'
  static override description = `Like cosign pkcs11-tool list-tokens. The slot id and label name a token in a pkcs11: key URI \
(slot-id=N, token=LABEL); pkcs11 list-keys then lists its keys. Needs no PIN.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --module-path /usr/lib/softhsm/libsofthsm2.so',
    '<%= config.bin %> <%= command.id %> --module-path /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so --json',
  ]

  static override enableJsonFlag = true
  static override flags = {
    'module-path': Flags.string({summary: 'The PKCS#11 module (shared library) of the HSM or token.', helpValue: 'FILE', required: true}),
  }

  async run(): Promise<TokenListing[]> {
    const {flags} = await this.parse(ListTokens)
    return listTokensFromFlags(flags, {log: (line) => this.log(line)})
  }
}
