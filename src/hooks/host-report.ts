import {existsSync} from 'node:fs'
import {resolve} from 'node:path'

import TOML from '@iarna/toml'

import {type Report, parseReport, readReport} from '../config/index.js'
import {PluginError, isPluginError, messageOf} from '../errors.js'

/** How messages name a report handed over as an object (it has no file). */
const FROM_BUILD = "pack-ts build's report"

const CONTRACT =
  "the host contract: build's run() resolves {report} (the parsed report.toml) or {reportPath} (its path); see docs/host.md (\"Host contract\") of @pack-ts/plugin-sign"

/**
 * The exporter's report from what the host's `build` resolved, validated exactly as
 * `sign --report` validates report.toml.
 */
export async function reportFromBuild(result: unknown): Promise<Report> {
  const value = typeof result === 'object' && result !== null ? (result as Record<string, unknown>) : {}
  if (value.report !== undefined) return reportFromObject(value.report)
  if (typeof value.reportPath === 'string' && value.reportPath !== '') {
    const path = resolve(value.reportPath)
    if (!existsSync(path)) throw new PluginError('HOST_CONTRACT', `cannot sign: pack-ts build resolved reportPath ${path}, where there is no file, which breaks ${CONTRACT}`)
    return readReport(path)
  }

  const got = result === undefined ? 'nothing' : typeof value.reportPath === 'string' ? 'an empty reportPath' : 'no report or reportPath'
  throw new PluginError('HOST_CONTRACT', `cannot sign: pack-ts build resolved ${got}, which breaks ${CONTRACT}`)
}

/**
 * The object is written back as TOML and read by the report.toml parser, so both ways in get the
 * same checks and messages. Line numbers of that re-written text would mislead, so they are dropped.
 */
function reportFromObject(report: unknown): Report {
  if (typeof report !== 'object' || report === null || Array.isArray(report)) {
    throw new PluginError('HOST_CONTRACT', `cannot sign: pack-ts build resolved a report that is not an object, which breaks ${CONTRACT}`)
  }

  let text: string
  try {
    text = TOML.stringify(report as TOML.JsonMap)
  } catch (error) {
    throw new PluginError('HOST_CONTRACT', `cannot sign: pack-ts build resolved a report that is not a TOML document (${messageOf(error)}), which breaks ${CONTRACT}`)
  }

  try {
    return parseReport(text, FROM_BUILD)
  } catch (error) {
    if (!isPluginError(error)) throw error
    throw new PluginError(error.code, error.message.replaceAll(new RegExp(`${FROM_BUILD}:\\d+:`, 'g'), `${FROM_BUILD}:`), {cause: error})
  }
}
