// The single table's name and the key shapes every capability shares.
import { ENV, TABLE } from '../../lib/definitions.ts';
import { requireEnv } from './config.ts';

export const tableName = requireEnv(ENV.tableName);

export const PK = TABLE.partitionKey;
export const SK = TABLE.sortKey;
export const TTL = TABLE.ttlAttribute;

/** Everything an account owns lives in its partition, so deleting an account is one query away. */
export const accountPk = (accountId: string): string => `ACCOUNT#${accountId}`;

export interface Key {
  readonly pk: string;
  readonly sk: string;
}

export type Item = Record<string, unknown> & Key;
