// The HTTP route that deletes the caller's account, with everything the capabilities keep of it.
import { defineRoute } from '../http/route.ts';
import { deleteOwnAccount } from './account-deletion.ts';

export const accountDeletionRoutes = [
  defineRoute({
    key: 'DELETE /accounts/me',
    auth: 'account',
    summary: "Delete the caller's account, its alarms, participations and schedules",
    responses: { 204: { description: 'Deleted' } },
    handle: async ({ caller }) => {
      await deleteOwnAccount(caller.accountId);
      return { status: 204 };
    },
  }),
];
