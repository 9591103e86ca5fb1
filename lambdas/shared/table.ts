// The single table's name, the key shape every capability shares, and the paginated query.
import { QueryCommand, type QueryCommandInput, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { ENV } from '../../lib/definitions.ts';
import { dynamo } from './clients/dynamo.ts';
import { requireEnv } from './config.ts';

export const tableName = requireEnv(ENV.tableName);

/** Everything an account owns lives in its partition, so deleting an account is one query away. */
export const accountPk = (accountId: string): string => `ACCOUNT#${accountId}`;

export interface Key {
  readonly pk: string;
  readonly sk: string;
}

export type Item = Record<string, unknown> & Key;

/** Every item a query matches, following LastEvaluatedKey page by page. */
type QueriedItem = NonNullable<QueryCommandOutput['Items']>[number];

export async function queryAll(
  input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
): Promise<QueriedItem[]> {
  const items: QueriedItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await dynamo.send(new QueryCommand({ ...input, TableName: tableName, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}
