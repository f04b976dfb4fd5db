import {type Repository} from '../reference/reference.js'

/** Token scopes (distribution's `repository:<path>:<actions>`), asked for per operation. */
export type Action = 'pull' | 'push'

export interface Scope {
  repository: Repository
  actions: Action[]
}

export function scopeString(scope: Scope): string {
  const actions = [...new Set(scope.actions)].sort().join(',')
  return `repository:${scope.repository.path}:${actions}`
}

export const pull = (repository: Repository): Scope => ({repository, actions: ['pull']})
export const push = (repository: Repository): Scope => ({repository, actions: ['pull', 'push']})
