// Items of the absence capability's tests: a study S1 owned by O, account profiles, and the clock; and the
// DynamoDB mock answering with them.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { vi } from 'vitest';
import { db } from './sdk-mocks.ts';

/** The tests' now, and a demo account's expiry an hour later. */
export const NOW = Date.parse('2026-11-22T10:00:00Z');
export const EXPIRES = '2026-11-22T11:00:00.000Z';
export const EXPIRES_S = Date.parse(EXPIRES) / 1000;

/** Study S1 as stored, owned by O, judging attendance itself; `overrides` for name, penalty and the rest. */
export const studyItem = (overrides: Record<string, unknown> = {}) => ({
  pk: 'STUDY#S1',
  sk: 'META',
  studyId: 'S1',
  name: 's',
  ownerId: 'O',
  autoAttendance: true,
  absencePenalty: 5,
  createdAt: 'x',
  ...overrides,
});

/** A GetCommand answer with the account's profile: a demo account when it has an expiresAt. */
export const profileOf = (accountId: string, expiresAt?: string) => ({
  Item: {
    pk: `ACCOUNT#${accountId}`,
    sk: 'PROFILE',
    accountId,
    nickname: 'n',
    demo: expiresAt !== undefined,
    score: 100,
    createdAt: 'x',
    ...(expiresAt ? { expiresAt } : {}),
  },
});

/**
 * Resets the DynamoDB mock to answer with no item, except study S1 (`study`) and the profiles of O, its
 * owner, and P. Conflict retries wait a random share of their backoff: none here.
 */
export function givenStudy(study: Record<string, unknown>): void {
  vi.spyOn(Math, 'random').mockReturnValue(0);
  db.reset();
  db.on(GetCommand).resolves({});
  db.on(GetCommand, { Key: { pk: 'STUDY#S1', sk: 'META' } }).resolves({ Item: study });
  db.on(GetCommand, { Key: { pk: 'ACCOUNT#O', sk: 'PROFILE' } }).resolves(profileOf('O'));
  db.on(GetCommand, { Key: { pk: 'ACCOUNT#P', sk: 'PROFILE' } }).resolves(profileOf('P'));
}
