// Bearer-token authentication: the admin token (env locally, Secrets Manager in AWS) or an account token,
// which the edge's `resolveAccountToken` (accounts) looks up: the kernel knows no capability.
import { ENV } from '../../lib/definitions.ts';
import { readSecretString } from '../shared/clients/secrets.ts';
import { ConfigError, optionalEnv } from '../shared/config.ts';
import { ForbiddenError, UnauthorizedError } from '../shared/errors.ts';
import { MAX_TOKEN_LENGTH, secretsEqual } from '../shared/tokens.ts';
import type { Caller, RouteAuth } from './route.ts';

let adminToken: Promise<string> | undefined;

/** Read once per container; a failed read is not cached, so the next request tries again. */
function loadAdminToken(): Promise<string> {
  if (!adminToken) {
    const fromEnv = optionalEnv(ENV.adminToken);
    const secretArn = optionalEnv(ENV.adminTokenSecretArn);
    if (fromEnv) adminToken = Promise.resolve(fromEnv);
    else if (secretArn) {
      adminToken = readSecretString(secretArn).then((value) => {
        if (!value) throw new ConfigError('The admin token secret has no value');
        return value.trim();
      });
      adminToken.catch(() => {
        adminToken = undefined;
      });
    } else return Promise.reject(new ConfigError(`${ENV.adminToken} or ${ENV.adminTokenSecretArn} must be set`));
  }
  return adminToken;
}

export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  const token = match?.[1];
  if (!token || token.length > MAX_TOKEN_LENGTH) return undefined;
  return token;
}

/** Who an account token belongs to, unless it is unknown or no longer valid at `now`. */
export type ResolveAccountToken = (
  token: string,
  now: number,
) => Promise<{ readonly accountId: string; readonly demo: boolean } | undefined>;

/** Who is calling, as a route with this `auth` needs it; 401/403 otherwise. */
export type Authenticate = (required: RouteAuth, header: string | undefined, now: number) => Promise<Caller>;

export function bearerAuthentication(resolveAccountToken: ResolveAccountToken): Authenticate {
  return async (required, header, now) => {
    if (required === 'none') return { kind: 'anonymous' };
    const token = bearerToken(header);
    if (!token) throw new UnauthorizedError();
    if (secretsEqual(token, await loadAdminToken())) {
      if (required === 'admin') return { kind: 'admin' };
      throw new ForbiddenError('The admin token cannot act as an account');
    }
    const account = await resolveAccountToken(token, now);
    if (!account) throw new UnauthorizedError();
    if (required === 'admin') throw new ForbiddenError('This route needs the admin token');
    return { kind: 'account', accountId: account.accountId, demo: account.demo };
  };
}
