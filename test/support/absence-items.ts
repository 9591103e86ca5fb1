// Items of the absence capability's tests: a study S1 owned by O, and account profiles.

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
