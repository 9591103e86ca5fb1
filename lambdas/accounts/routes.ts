// HTTP routes of accounts: demo accounts, admin-made accounts, the caller's own account (deleting it is in
// lambdas/account-deletion/, which knows what else goes with it).
import * as z from 'zod';
import { defineRoute } from '../http/route.ts';
import { type Account, createAccount, createDemoAccount, getAccount } from './accounts.ts';
import { replaceSigningSecret } from './signing-secret.ts';

const nickname = z
  .string()
  .trim()
  .min(1)
  .max(50)
  .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters')
  .describe('Shown to other members of a study');

const accountView = z.object({
  accountId: z.string(),
  nickname: z.string(),
  demo: z.boolean(),
  expiresAt: z.iso.datetime().optional(),
  score: z.number().int(),
});
const newAccountView = z.object({
  accountId: z.string(),
  token: z.string().describe('Bearer token of the account; shown only once'),
  demo: z.boolean(),
  expiresAt: z.iso.datetime().optional(),
});

const toView = (a: Account) => ({
  accountId: a.accountId,
  nickname: a.nickname,
  demo: a.demo,
  ...(a.expiresAt ? { expiresAt: a.expiresAt } : {}),
  score: a.score,
});

export const accountRoutes = [
  defineRoute({
    key: 'POST /demo-accounts',
    auth: 'none',
    idempotent: true,
    summary: 'Create a demo account that deletes itself, and everything it owns, at expiresAt',
    body: z.strictObject({ nickname: nickname.optional() }),
    responses: {
      201: { description: 'Created', schema: newAccountView },
      429: { description: 'Too many demo accounts from this address; see Retry-After' },
    },
    handle: async ({ body, sourceIp, now }) => {
      const { account, token } = await createDemoAccount({ ...body, sourceIp, now });
      return { status: 201, body: { accountId: account.accountId, token, demo: true, expiresAt: account.expiresAt } };
    },
  }),
  defineRoute({
    key: 'POST /accounts',
    auth: 'admin',
    idempotent: true,
    summary: 'Create a permanent account',
    body: z.strictObject({ nickname }),
    responses: { 201: { description: 'Created', schema: newAccountView } },
    handle: async ({ body, now }) => {
      const { account, token } = await createAccount({ nickname: body.nickname, now });
      return { status: 201, body: { accountId: account.accountId, token, demo: false } };
    },
  }),
  defineRoute({
    key: 'GET /accounts/me',
    auth: 'account',
    summary: "The caller's account",
    responses: { 200: { description: 'The account', schema: accountView } },
    handle: async ({ caller }) => ({ status: 200, body: toView(await getAccount(caller.accountId)) }),
  }),
  defineRoute({
    key: 'POST /accounts/me/signing-secret',
    auth: 'account',
    summary:
      'Create or replace the secret that signs calls to your condition and job URLs; the old one stops signing at once',
    body: z.strictObject({}).describe('No fields: an empty body or {}'),
    responses: {
      201: {
        description: 'The new secret; shown only in this answer',
        schema: z.object({
          signingSecret: z.string().describe('Key of the HMAC-SHA256 in the x-signature header of every call'),
        }),
      },
    },
    handle: async ({ caller, now }) => ({
      status: 201,
      headers: { 'cache-control': 'no-store' },
      body: { signingSecret: await replaceSigningSecret(caller, now) },
    }),
  }),
];
