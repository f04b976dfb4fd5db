import {PluginError} from '../../errors.js'
import {type Exchange, type Send, header} from './exchange.js'

// Redirect policy: a 3xx is followed only where the caller asked (blob downloads, which
// registries send to storage), at most MAX_REDIRECTS hops, and Authorization is never sent to
// another origin than the registry's. Each hop is its own exchange below (retried on its own).

export const MAX_REDIRECTS = 5

export function redirectLayer(registry: string, origin: () => string, next: Send): Send {
  return async (exchange: Exchange) => {
    let url = exchange.url
    for (let hop = 0; ; hop++) {
      const sameOrigin = url.origin === new URL(origin()).origin
      const response = await next({...exchange, url, headers: sameOrigin ? exchange.headers : withoutAuthorization(exchange.headers)})
      const location = header(response, 'location')
      if (!exchange.followRedirects || response.status < 300 || response.status >= 400 || !location) return response
      if (hop >= MAX_REDIRECTS) {
        throw new PluginError('REGISTRY_ERROR', `registry ${registry} redirected more than ${MAX_REDIRECTS} times`)
      }

      url = new URL(location, url)
    }
  }
}

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  const {authorization: _dropped, ...rest} = headers
  void _dropped
  return rest
}
