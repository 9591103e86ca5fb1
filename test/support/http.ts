// A small JSON client for end-to-end tests against the local API.
export interface JsonResponse {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected freely
  readonly body: any;
}

export function apiClient(baseUrl: string) {
  return async function request(
    method: string,
    path: string,
    options: { token?: string; body?: unknown } = {},
  ): Promise<JsonResponse> {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
}

export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number, stepMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Polls `GET path` until the resource's `status` is `status`; the resource as it then is. */
export function waitForResourceStatus(
  request: ReturnType<typeof apiClient>,
  path: string,
  token: string,
  status: string,
  timeoutMs: number,
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected freely
): Promise<any> {
  return waitFor(async () => {
    const resource = (await request('GET', path, { token })).body;
    return resource?.status === status ? resource : undefined;
  }, timeoutMs);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
