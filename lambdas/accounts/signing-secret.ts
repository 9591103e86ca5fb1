// The account's signing secret: the key of the HMAC every call to its URLs (conditions, jobs) is signed
// with. Unlike a token it must be readable to sign, so it is stored as is (in the account's partition,
// encrypted at rest by DynamoDB like all of the table) and shown in one API answer only: the one that
// creates it. It goes when the account goes (everything in the partition does); a demo account's expires
// with it (TTL as a backstop).
import { randomBytes } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../../lib/definitions.ts';
import { dynamo } from '../shared/clients/dynamo.ts';
import { isTransactionConditionFailure, transactWrite } from '../shared/dynamo/conditional.ts';
import { ConflictError, NotFoundError } from '../shared/errors.ts';
import { accountPk, tableName } from '../shared/table.ts';
import { toEpochSeconds, toIso } from '../shared/time.ts';
import { accountKey, findAccount } from './account-store.ts';

const SIGNING_SECRET_SK = 'SIGNING_SECRET';
const secretKey = (accountId: string) => ({ pk: accountPk(accountId), sk: SIGNING_SECRET_SK });

/** A new signing secret: 32 random bytes. */
export const newSigningSecret = (): string => `whsec_${randomBytes(32).toString('base64url')}`;

/**
 * Creates or replaces the account's signing secret and returns it (the only time it is shown). From the
 * moment this returns, calls are signed with the new one only.
 */
export async function replaceSigningSecret(owner: { accountId: string; demo: boolean }, now: number): Promise<string> {
  let ttl: Record<string, number> = {};
  if (owner.demo) {
    const account = await findAccount(owner.accountId);
    if (!account?.expiresAt) throw new NotFoundError('No such account');
    ttl = { [TABLE.ttlAttribute]: toEpochSeconds(Date.parse(account.expiresAt)) };
  }
  const signingSecret = newSigningSecret();
  try {
    await transactWrite({
      TransactItems: [
        // Never a secret for an account being deleted: it would outlive the account.
        {
          ConditionCheck: {
            TableName: tableName,
            Key: accountKey(owner.accountId),
            ConditionExpression: 'attribute_exists(pk)',
          },
        },
        {
          Put: {
            TableName: tableName,
            Item: {
              ...secretKey(owner.accountId),
              type: 'signing-secret',
              signingSecret,
              createdAt: toIso(now),
              ...ttl,
            },
          },
        },
      ],
    });
  } catch (error) {
    if (isTransactionConditionFailure(error)) throw new NotFoundError('No such account');
    throw error;
  }
  return signingSecret;
}

/** The secret to sign the account's calls with now, or undefined when it has none (409 NO_SIGNING_SECRET). */
export async function signingSecretOf(accountId: string): Promise<string | undefined> {
  const out = await dynamo.send(
    new GetCommand({ TableName: tableName, Key: secretKey(accountId), ConsistentRead: true }),
  );
  const value = out.Item?.signingSecret;
  return typeof value === 'string' ? value : undefined;
}

/** The account's secret, or 409 NO_SIGNING_SECRET: for creating an alarm with a condition, or a job. */
export async function requireSigningSecret(accountId: string): Promise<string> {
  const secret = await signingSecretOf(accountId);
  if (secret === undefined) {
    throw new ConflictError(
      'Calls to your URLs are signed: create a signing secret first (POST /accounts/me/signing-secret)',
      'NO_SIGNING_SECRET',
    );
  }
  return secret;
}
