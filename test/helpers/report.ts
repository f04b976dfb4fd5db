import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

/** report.toml exactly as the lifecycle's exporter writes it (keys indented by two spaces). */
export function writeReport(dir: string, tags: string[], digest: string | undefined, name = 'report.toml'): string {
  const lines = ['[image]', `  tags = [${tags.map((t) => JSON.stringify(t)).join(', ')}]`]
  if (digest) lines.push(`  digest = "${digest}"`, '  manifest-size = 1083')
  else lines.push('  image-id = "sha256:' + 'f'.repeat(64) + '"')
  lines.push('', '[build]', '')
  const path = join(dir, name)
  writeFileSync(path, lines.join('\n') + '\n')
  return path
}

export function writeFile(dir: string, name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}
