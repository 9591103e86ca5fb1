import * as z from 'zod/mini';

/** Sent by the account's one-off schedule at `expiresAt` (and by the sweeper if that got lost). */
export const expireDemoAccountMessage = z.object({
  kind: z.literal('expire-demo-account'),
  accountId: z.string().check(z.minLength(1)),
  expiresAt: z.iso.datetime(),
});
export type ExpireDemoAccountMessage = z.infer<typeof expireDemoAccountMessage>;

/** The message that expires the demo account, naming the expiry it has now. */
export const expiryMessage = (account: { accountId: string; expiresAt: string }): ExpireDemoAccountMessage => ({
  kind: 'expire-demo-account',
  accountId: account.accountId,
  expiresAt: account.expiresAt,
});
