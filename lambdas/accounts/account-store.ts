// DynamoDB access for accounts and their tokens. Only this file knows how they are laid out.
import { DeleteCommand, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE } from '../../lib/definitions.ts';
import { dynamo } from '../shared/clients/dynamo.ts';
import { dueEntry, dueItems } from '../shared/due-index.ts';
import { transactWrite } from '../shared/dynamo/conditional.ts';
import { accountPk, type Item, queryAll, tableName } from '../shared/table.ts';
import { toEpochSeconds } from '../shared/time.ts';

export interface Account {
  readonly accountId: string;
  readonly nickname: string;
  readonly demo: boolean;
  /** Demo accounts only: when it and everything it owns is deleted (ISO, UTC, whole seconds). */
  readonly expiresAt?: string;
  readonly score: number;
  readonly createdAt: string;
}

interface AccountItem extends Account {
  readonly tokenHash: string;
}

const PROFILE_SK = 'PROFILE';
/** Key of the profile item; other items of the account may be written on condition that it exists. */
export const accountKey = (accountId: string) => ({ pk: accountPk(accountId), sk: PROFILE_SK });
const tokenKey = (tokenHash: string) => ({ pk: `TOKEN#${tokenHash}`, sk: 'TOKEN' });

/** Kind of a demo account's due-index entry, so expired ones are found without a scan. */
const DEMO_DUE = 'DEMO';

function toAccount(item: Record<string, unknown>): Account {
  const a = item as unknown as AccountItem;
  return {
    accountId: a.accountId,
    nickname: a.nickname,
    demo: a.demo,
    ...(a.expiresAt ? { expiresAt: a.expiresAt } : {}),
    score: a.score,
    createdAt: a.createdAt,
  };
}

export async function insertAccount(account: Account, tokenHash: string): Promise<void> {
  const expiresAtMs = account.expiresAt ? Date.parse(account.expiresAt) : undefined;
  // DynamoDB TTL is the backstop should every expiry message be lost.
  const ttl = expiresAtMs === undefined ? {} : { [TABLE.ttlAttribute]: toEpochSeconds(expiresAtMs) };
  const due = expiresAtMs === undefined ? {} : dueEntry(DEMO_DUE, new Date(expiresAtMs).toISOString());
  await dynamo.send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Put: {
            TableName: tableName,
            Item: { ...accountKey(account.accountId), type: 'account', ...account, tokenHash, ...ttl, ...due },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Put: {
            TableName: tableName,
            Item: {
              ...tokenKey(tokenHash),
              type: 'token',
              accountId: account.accountId,
              demo: account.demo,
              ...(account.expiresAt ? { expiresAt: account.expiresAt } : {}),
              ...ttl,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ],
    }),
  );
}

export async function findAccount(accountId: string): Promise<Account | undefined> {
  const out = await dynamo.send(
    new GetCommand({ TableName: tableName, Key: accountKey(accountId), ConsistentRead: true }),
  );
  return out.Item ? toAccount(out.Item) : undefined;
}

/** Demo accounts past their expiry that still exist (their expiry message never got through). */
export async function findExpiredDemoAccounts(now: number): Promise<{ accountId: string; expiresAt: string }[]> {
  const items = await dueItems(DEMO_DUE, now, now);
  return items.map((item) => ({ accountId: String(item.accountId), expiresAt: String(item.expiresAt) }));
}

export interface TokenOwner {
  readonly accountId: string;
  readonly demo: boolean;
  readonly expiresAt?: string;
}

export async function findTokenOwner(tokenHash: string): Promise<TokenOwner | undefined> {
  const out = await dynamo.send(
    new GetCommand({ TableName: tableName, Key: tokenKey(tokenHash), ConsistentRead: true }),
  );
  if (!out.Item) return undefined;
  const { accountId, demo, expiresAt } = out.Item as TokenOwner;
  return { accountId, demo, ...(expiresAt ? { expiresAt } : {}) };
}

/** Every item in the account's partition except its profile: alarms, participations, owned studies. */
export async function listOwnedItems(accountId: string): Promise<Item[]> {
  const items: Item[] = [];
  const found = await queryAll({
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': accountPk(accountId) },
    ConsistentRead: true,
  });
  for (const item of found) if (item.sk !== PROFILE_SK) items.push(item as Item);
  return items;
}

export async function deleteItems(items: readonly Item[]): Promise<void> {
  for (const item of items) {
    await dynamo.send(new DeleteCommand({ TableName: tableName, Key: { pk: item.pk, sk: item.sk } }));
  }
}

/** Deletes the profile and the token together: from then on the token gets 401. Safe to repeat. */
export async function deleteAccountAndToken(accountId: string): Promise<void> {
  const out = await dynamo.send(
    new GetCommand({ TableName: tableName, Key: accountKey(accountId), ConsistentRead: true }),
  );
  if (!out.Item) return;
  const { tokenHash } = out.Item as AccountItem;
  await transactWrite({
    TransactItems: [
      { Delete: { TableName: tableName, Key: tokenKey(tokenHash) } },
      { Delete: { TableName: tableName, Key: accountKey(accountId) } },
    ],
  });
}
