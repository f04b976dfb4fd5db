/** Reads a password from the terminal without echo, prompting on stderr so stdout stays clean. */
import {PluginError} from '../errors.js'

/** The parts of process.stdin / process.stderr we use, so tests can drive it with fakes. */
export interface PromptInput extends NodeJS.EventEmitter {
  isRaw?: boolean
  setRawMode(mode: boolean): unknown
  setEncoding(encoding: BufferEncoding): unknown
  resume(): unknown
  pause(): unknown
  unshift?(chunk: string): unknown
}

export interface PromptOutput {
  write(text: string): unknown
}

export type Prompt = (question: string) => Promise<string>

export function promptHidden(
  question: string,
  input: PromptInput = process.stdin as PromptInput,
  output: PromptOutput = process.stderr,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const wasRaw = input.isRaw ?? false
    let value = ''
    const finish = (rest = '', error?: PluginError) => {
      input.off('data', onData)
      input.setRawMode(wasRaw)
      input.pause()
      // Typed-ahead or pasted text after Enter belongs to the next prompt (e.g. "again:").
      if (rest !== '' && input.unshift) input.unshift(rest)
      output.write('\n')
      if (error) reject(error)
      else resolve(value)
    }

    // Raw mode: we see each key, so we handle line editing and Ctrl-C ourselves.
    const onData = (chunk: string) => {
      const chars = [...chunk]
      for (const [index, char] of chars.entries()) {
        const rest = () => chars.slice(index + (char === '\r' && chars[index + 1] === '\n' ? 2 : 1)).join('')
        if (char === '\r' || char === '\n') return finish(rest())
        if (char === '\u0003') return finish('', new PluginError('KEY_PASSWORD', 'password entry cancelled'))
        if (char === '\u0004') {
          if (value === '') return finish('', new PluginError('KEY_PASSWORD', 'password entry cancelled'))
          return finish(rest())
        }

        if (char === '\u007F' || char === '\b') value = [...value].slice(0, -1).join('')
        else if (char === '\u0015') value = '' // Ctrl-U: clear the line
        else value += char
      }
    }

    output.write(question)
    input.setEncoding('utf8')
    input.setRawMode(true)
    input.on('data', onData)
    input.resume()
  })
}
