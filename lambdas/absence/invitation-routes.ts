// HTTP routes of invitations: the owner invites, the invited account lists, accepts, declines or leaves.
import * as z from 'zod';
import { defineRoute } from '../http/route.ts';
import { ID_PATTERN } from '../shared/ids.ts';
import { accept, invite, leaveOrDecline, openInvitations } from './invitations.ts';
import { studyParams } from './route-params.ts';

const invitationView = z.object({
  studyId: z.string(),
  name: z.string(),
  absencePenalty: z.number().int().describe('Score lost per absence once the invitation is accepted'),
  invitedAt: z.string(),
});

/** An account's standing in a study, as an invitation or an acceptance answers it. */
const membershipView = z.object({ studyId: z.string(), accountId: z.string() });
const invitedView = membershipView.extend({ status: z.literal('INVITED'), invitedAt: z.string() });
const joinedView = membershipView.extend({ status: z.literal('JOINED'), joinedAt: z.string() });

export const invitationRoutes = [
  defineRoute({
    key: 'POST /studies/{studyId}/participants',
    auth: 'account',
    idempotent: true,
    summary: 'Invite an account to the study (owner only); it takes part only once it accepts',
    params: studyParams,
    body: z.strictObject({ accountId: z.string().regex(ID_PATTERN, 'is not an account id') }),
    responses: {
      201: { description: 'Invited', schema: invitedView },
      400: { description: 'Bad input, or the owner inviting itself' },
      403: { description: 'Not the owner' },
      404: { description: 'No such study or account' },
      409: { description: 'Invited already (ALREADY_INVITED) or taking part already (ALREADY_PARTICIPANT)' },
    },
    handle: async ({ caller, params, body, now }) => ({
      status: 201,
      body: await invite({ studyId: params.studyId, callerId: caller.accountId, accountId: body.accountId, now }),
    }),
  }),
  defineRoute({
    key: 'GET /accounts/me/invitations',
    auth: 'account',
    summary: "The caller's open invitations, with each study's name and penalty",
    responses: { 200: { description: 'Open invitations', schema: z.object({ items: z.array(invitationView) }) } },
    handle: async ({ caller }) => ({ status: 200, body: { items: await openInvitations(caller.accountId) } }),
  }),
  defineRoute({
    key: 'POST /studies/{studyId}/participants/me',
    auth: 'account',
    summary: 'Accept an invitation: the caller takes part, and is judged for weeks that end from now on',
    params: studyParams,
    responses: {
      201: { description: 'Joined', schema: joinedView },
      404: { description: 'No such study, or no invitation to it' },
      409: { description: 'Taking part already (ALREADY_PARTICIPANT)' },
    },
    handle: async ({ caller, params, now }) => ({
      status: 201,
      body: await accept({ studyId: params.studyId, accountId: caller.accountId, demo: caller.demo, now }),
    }),
  }),
  defineRoute({
    key: 'DELETE /studies/{studyId}/participants/me',
    auth: 'account',
    summary: 'Decline the invitation, or leave the study: weeks not yet judged no longer count for the caller',
    params: studyParams,
    responses: {
      204: { description: 'Declined or left' },
      404: { description: 'No such study, or neither invited to it nor taking part' },
    },
    handle: async ({ caller, params }) => {
      await leaveOrDecline({ studyId: params.studyId, accountId: caller.accountId });
      return { status: 204 };
    },
  }),
];
