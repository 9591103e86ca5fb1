// The one way the product calls a user's URL (conditions and jobs): a signed JSON POST that connects
// only to addresses it has checked, follows no redirect, reads a bounded answer within a total time, and
// says what the answer means.
//
// No DNS rebinding: the name is resolved once per connection by our `lookup`, every address it answers
// is checked, and the socket connects to exactly those addresses (Node calls no other resolver). An IP
// literal never reaches `lookup`, so it is checked before the request is made.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { DEFAULTS } from '../../../lib/definitions.ts';
import { parseRetryAfter } from '../retry-after.ts';
import { addressRefusal, type OutboundPolicy, outboundPolicy } from './address-policy.ts';
import { SIGNATURE_HEADER, signatureHeader } from './signature.ts';
import { bareHost, outboundUrlProblem } from './url-rules.ts';

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}
/** Every address a name resolves to. Injected in tests; the system resolver (getaddrinfo) otherwise. */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => {
      if (error) reject(error);
      else resolve(addresses.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 })));
    });
  });

/** A call was not made because the URL or an address it resolved to is not allowed. */
export class OutboundRefusedError extends Error {
  override readonly name = 'OutboundRefusedError';
}

/**
 * A `lookup` for `http.request` that resolves with `resolver` and fails the connection unless every
 * address is allowed. Exported for tests; `outboundPost` uses it.
 */
export function guardedLookup(policy: OutboundPolicy, resolver: Resolver = systemResolver): LookupFunction {
  return (hostname: string, options: LookupOptions, callback) => {
    resolver(hostname).then(
      (addresses) => {
        const wanted = addresses.filter((a) => !options.family || options.family === a.family);
        if (wanted.length === 0) {
          callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
          return;
        }
        // One bad address refuses the name: a mixed answer is how rebinding attacks hide.
        for (const { address } of wanted) {
          const refusal = addressRefusal(address, policy);
          if (refusal !== undefined) {
            callback(new OutboundRefusedError(`${hostname} resolves to ${refusal}`), '', 0);
            return;
          }
        }
        if (options.all) callback(null, wanted.map((a) => ({ ...a })) as LookupAddress[]);
        else callback(null, wanted[0]?.address ?? '', wanted[0]?.family ?? 4);
      },
      (error: unknown) => callback(error as NodeJS.ErrnoException, '', 0),
    );
  };
}

// Connections are reused between calls (Lambda containers call the same receivers again and again). A
// pooled socket was connected through the guarded lookup, so reuse never skips the address check.
const agents = {
  'https:': new https.Agent({ keepAlive: true, maxSockets: 50, maxFreeSockets: 10, timeout: 30_000 }),
  'http:': new http.Agent({ keepAlive: true, maxSockets: 50, maxFreeSockets: 10, timeout: 30_000 }),
};

export type OutboundOutcome =
  /** 2xx. `body` is at most `maxResponseBytes` bytes of the answer (UTF-8), `truncated` if there was more. */
  | {
      readonly kind: 'success';
      readonly status: number;
      readonly body: string;
      readonly truncated: boolean;
      readonly durationMs: number;
    }
  /** 408, 429, 5xx, a timeout or a network error: worth another try, after `retryAfterSeconds` if given. */
  | {
      readonly kind: 'retryable';
      /** `HTTP_<status>`, or `UNREACHABLE` (timeout, refused connection, DNS failure, TLS error...). */
      readonly reason: string;
      readonly cause: 'status' | 'timeout' | 'network';
      readonly status?: number;
      readonly retryAfterSeconds?: number;
      readonly detail?: string;
      readonly durationMs: number;
    }
  /** Any other non-2xx (other 4xx, and 3xx: redirects are not followed). Another try would answer the same. */
  | {
      readonly kind: 'final';
      readonly reason: string;
      readonly status: number;
      readonly body: string;
      readonly durationMs: number;
    }
  /** Not called: the URL, or an address its host resolved to, is not allowed. */
  | {
      readonly kind: 'refused';
      readonly reason: 'URL_NOT_ALLOWED';
      readonly detail: string;
      readonly durationMs: number;
    };

export interface OutboundPostInput {
  readonly url: string;
  /** Sent as is. */
  readonly rawBody: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The whole call: connecting, sending and reading the answer. */
  readonly timeoutMs: number;
  readonly maxResponseBytes?: number;
  readonly policy?: OutboundPolicy;
  readonly resolver?: Resolver;
  /** Clock for Retry-After dates (epoch ms). */
  readonly now?: () => number;
}

const isRetryableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500;

/** One POST to a user's URL under the rules above. Never throws: every failure is an outcome. */
export function outboundPost(input: OutboundPostInput): Promise<OutboundOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const policy = input.policy ?? outboundPolicy();
  const maxBytes = input.maxResponseBytes ?? DEFAULTS.outboundMaxResponseBytes;
  const now = input.now ?? Date.now;
  const refused = (detail: string): OutboundOutcome => ({
    kind: 'refused',
    reason: 'URL_NOT_ALLOWED',
    detail,
    durationMs: elapsed(),
  });

  const problem = outboundUrlProblem(input.url, policy);
  if (problem !== undefined) return Promise.resolve(refused(`The URL ${problem}`));
  const url = new URL(input.url);
  const host = bareHost(url);
  if (isIP(host) !== 0) {
    const refusal = addressRefusal(host, policy);
    if (refusal !== undefined) return Promise.resolve(refused(refusal));
  }

  return new Promise<OutboundOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: OutboundOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(url, {
      method: 'POST',
      agent: agents[url.protocol === 'https:' ? 'https:' : 'http:'],
      lookup: guardedLookup(policy, input.resolver),
      headers: { ...input.headers, 'content-length': String(Buffer.byteLength(input.rawBody, 'utf8')) },
    });
    const timer = setTimeout(() => {
      finish({
        kind: 'retryable',
        reason: 'UNREACHABLE',
        cause: 'timeout',
        detail: `No complete answer within ${input.timeoutMs} ms`,
        durationMs: elapsed(),
      });
      request.destroy();
    }, input.timeoutMs);

    request.on('error', (error: Error) => {
      if (error instanceof OutboundRefusedError) finish(refused(error.message));
      else {
        finish({
          kind: 'retryable',
          reason: 'UNREACHABLE',
          cause: 'network',
          detail: `${(error as NodeJS.ErrnoException).code ?? error.name}: ${error.message}`,
          durationMs: elapsed(),
        });
      }
    });

    request.on('response', (response) => {
      const status = response.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      const done = () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (status >= 200 && status < 300) {
          finish({ kind: 'success', status, body, truncated, durationMs: elapsed() });
        } else if (isRetryableStatus(status)) {
          const retryAfterSeconds = parseRetryAfter(response.headers['retry-after'], now());
          finish({
            kind: 'retryable',
            reason: `HTTP_${status}`,
            cause: 'status',
            status,
            ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
            durationMs: elapsed(),
          });
        } else finish({ kind: 'final', reason: `HTTP_${status}`, status, body, durationMs: elapsed() });
      };
      response.on('data', (chunk: Buffer) => {
        if (truncated) return;
        if (size + chunk.length > maxBytes) {
          chunks.push(chunk.subarray(0, maxBytes - size));
          size = maxBytes;
          truncated = true;
          // Stop reading: the rest is never downloaded (the socket is not reused).
          response.destroy();
          done();
          return;
        }
        chunks.push(chunk);
        size += chunk.length;
      });
      response.on('end', done);
      // A timeout or reset mid-answer: the status line arrived but not the whole answer.
      response.on('error', (error: Error) => {
        if (truncated) return;
        finish({
          kind: 'retryable',
          reason: 'UNREACHABLE',
          cause: 'network',
          status,
          detail: `The answer broke off: ${error.message}`,
          durationMs: elapsed(),
        });
      });
    });

    request.end(input.rawBody);
  });
}

export interface SignedPostInput extends Omit<OutboundPostInput, 'rawBody' | 'headers'> {
  /** Serialised to JSON once; those exact bytes are signed and sent. */
  readonly body: unknown;
  /** The account's signing secret. */
  readonly secret: string;
  /** Added to ours (jobs add `idempotency-key`); cannot replace content-type or the signature. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The signed POST of conditions and jobs: JSON body, `content-type: application/json`, `x-signature`. */
export function signedPost(input: SignedPostInput): Promise<OutboundOutcome> {
  const { body, secret, headers = {}, ...rest } = input;
  const rawBody = JSON.stringify(body);
  const unixSeconds = Math.floor((input.now ?? Date.now)() / 1000);
  return outboundPost({
    ...rest,
    rawBody,
    headers: {
      'user-agent': 'scheduling-backend/1.0',
      ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
      'content-type': 'application/json',
      [SIGNATURE_HEADER]: signatureHeader(secret, rawBody, unixSeconds),
    },
  });
}
