// API Gateway's routes: parsing a route key, and choosing the route a request goes to.

export interface ParsedRoute {
  readonly key: string;
  readonly method: string;
  /** Literal segments as strings, `{name}` segments as { param: name }. */
  readonly segments: readonly (string | { readonly param: string })[];
}

export function parseRoute(key: string): ParsedRoute {
  const [method, path] = key.split(' ');
  if (!method || !path?.startsWith('/')) throw new Error(`Route "${key}" is not "<METHOD> /path"`);
  const segments = path
    .split('/')
    .slice(1)
    .map((segment) => {
      const param = /^\{([A-Za-z0-9_]+)\}$/.exec(segment)?.[1];
      return param ? { param } : segment;
    });
  return { key, method, segments };
}

export interface RouteMatch {
  readonly routeKey: string;
  readonly pathParameters?: Record<string, string>;
}

/**
 * API Gateway's choice: the route whose method matches and whose path matches segment by segment, a
 * literal segment beating a `{param}` one; `$default` when none does.
 */
export function matchRoute(method: string, path: string, routes: readonly ParsedRoute[]): RouteMatch {
  const parts = path.split('/').slice(1);
  let best: { route: ParsedRoute; params: Record<string, string>; rank: string } | undefined;
  for (const route of routes) {
    if (route.method !== method && route.method !== 'ANY') continue;
    if (route.segments.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let rank = '';
    let matches = true;
    route.segments.forEach((segment, i) => {
      const part = parts[i] ?? '';
      if (typeof segment === 'string') {
        if (segment !== part) matches = false;
        rank += '0';
      } else {
        if (part === '') matches = false;
        params[segment.param] = part;
        rank += '1';
      }
    });
    if (route.method === 'ANY') rank += '1';
    if (matches && (!best || rank < best.rank)) best = { route, params, rank };
  }
  if (!best) return { routeKey: '$default' };
  return Object.keys(best.params).length > 0
    ? { routeKey: best.route.key, pathParameters: best.params }
    : { routeKey: best.route.key };
}
