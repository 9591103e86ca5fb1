// The absence batch end to end: studies through the HTTP API, runs through the absence queue.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECURRING_SCHEDULES, SCHEDULE_GROUPS } from '../../lib/definitions.ts';
import { LOCAL_SCHEDULER_ROLE_ARN, type LocalCloud, startLocalCloud } from '../../local/cloud.ts';
import { apiClient, waitFor } from '../support/http.ts';

let cloud: LocalCloud;
let api: ReturnType<typeof apiClient>;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/**
 * A 00:00 KST at least three days ahead: the instant of the overlapping runs below. Weeks must end in the
 * future when they are added, so the runs judge weeks that end "before" a run instant still to come.
 */
const KST_MIDNIGHT_UTC = 15 * HOUR;
const AT = Math.ceil((Date.now() + 3 * DAY - KST_MIDNIGHT_UTC) / DAY) * DAY + KST_MIDNIGHT_UTC;
const iso = (ms: number) => new Date(ms).toISOString();

interface Member {
  readonly accountId: string;
  readonly token: string;
}

async function account(nickname: string): Promise<Member> {
  const res = await api('POST', '/accounts', { token: cloud.adminToken, body: { nickname } });
  expect(res.status).toBe(201);
  return { accountId: res.body.accountId, token: res.body.token };
}

async function study(
  owner: Member,
  autoAttendance: boolean,
  members: Member[],
  weeks: Record<number, number>,
  penalty: number | 'default' = 7,
) {
  const body = { name: 'algorithms', autoAttendance, ...(penalty === 'default' ? {} : { absencePenalty: penalty }) };
  const created = await api('POST', '/studies', { token: owner.token, body });
  expect(created.status).toBe(201);
  const { studyId } = created.body;
  for (const m of members) await join(owner, studyId, m);
  for (const [week, endsAt] of Object.entries(weeks)) {
    const res = await api('POST', `/studies/${studyId}/weeks`, {
      token: owner.token,
      body: { week: Number(week), startsAt: iso(endsAt - 7 * DAY), endsAt: iso(endsAt) },
    });
    expect(res.status).toBe(201);
  }
  return studyId as string;
}

/** The owner invites, the member accepts: only then does it take part. */
async function join(owner: Member, studyId: string, m: Member) {
  const invited = await api('POST', `/studies/${studyId}/participants`, {
    token: owner.token,
    body: { accountId: m.accountId },
  });
  expect(invited).toMatchObject({ status: 201, body: { accountId: m.accountId, status: 'INVITED' } });
  const joined = await api('POST', `/studies/${studyId}/participants/me`, { token: m.token });
  expect(joined).toMatchObject({ status: 201, body: { accountId: m.accountId, status: 'JOINED' } });
}

const score = async (m: Member) => (await api('GET', '/accounts/me', { token: m.token })).body.score as number;
const attendance = async (owner: Member, studyId: string, week: number) =>
  Object.fromEntries(
    (
      (await api('GET', `/studies/${studyId}/weeks/${week}/attendance`, { token: owner.token })).body.items as {
        accountId: string;
        status: string;
      }[]
    ).map((i) => [i.accountId, i.status]),
  );

async function runToCompletion(runId: string) {
  return waitFor(
    async () => {
      const res = await api('GET', `/admin/absence-runs/${runId}`, { token: cloud.adminToken });
      return res.body.status === 'DONE' ? res.body : undefined;
    },
    20_000,
    100,
  );
}

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0 });
  api = apiClient(cloud.apiUrl);
});

afterAll(async () => {
  await cloud?.stop();
});

describe('the absence batch', () => {
  it('marks and penalises each absentee exactly once, however many runs overlap', async () => {
    const owner = await account('owner');
    const [a, b, c, d] = await Promise.all(['a', 'b', 'c', 'd'].map((n) => account(n)));
    if (!a || !b || !c || !d) throw new Error('accounts missing');
    // Week 1 ends 23:59:59 KST the day before: inside. Week 2 ends exactly 2 days before: inside.
    // Week 3 ends a second earlier than that: outside. Week 4 ends after the run: outside.
    const auto = await study(owner, true, [a, b, c], {
      1: AT - 1000,
      2: AT - 2 * DAY,
      3: AT - 2 * DAY - 1000,
      4: AT + HOUR,
    });
    const manual = await study(owner, false, [d], { 1: AT - HOUR });
    // a attends week 1; b attends week 2.
    expect((await api('POST', `/studies/${auto}/weeks/1/attendance`, { token: a.token })).status).toBe(201);
    expect((await api('POST', `/studies/${auto}/weeks/2/attendance`, { token: b.token })).status).toBe(201);

    const runs = await Promise.all(
      [1, 2, 3].map(() => api('POST', '/admin/absence-runs', { token: cloud.adminToken, body: { at: iso(AT) } })),
    );
    expect(runs.map((r) => r.status)).toEqual([202, 202, 202]);
    const done = await Promise.all(runs.map((r) => runToCompletion(r.body.runId)));
    // A rerun half an hour later overlaps the window (week 1 again, week 2 now outside).
    const rerun = await api('POST', '/admin/absence-runs', {
      token: cloud.adminToken,
      body: { at: iso(AT + HOUR / 2) },
    });
    const rerunDone = await runToCompletion(rerun.body.runId);

    // Absentees: week 1 b and c, week 2 a and c: four in all, counted once across all runs.
    expect(done.reduce((sum, r) => sum + r.absences, 0) + rerunDone.absences).toBe(4);
    expect(done.every((r) => r.weeks === 2)).toBe(true);
    expect(await attendance(owner, auto, 1)).toEqual({
      [a.accountId]: 'ATTENDANCE',
      [b.accountId]: 'ABSENCE',
      [c.accountId]: 'ABSENCE',
    });
    expect(await attendance(owner, auto, 2)).toEqual({
      [a.accountId]: 'ABSENCE',
      [b.accountId]: 'ATTENDANCE',
      [c.accountId]: 'ABSENCE',
    });
    expect(Object.values(await attendance(owner, auto, 3))).toEqual(['PENDING', 'PENDING', 'PENDING']);
    expect(Object.values(await attendance(owner, auto, 4))).toEqual(['PENDING', 'PENDING', 'PENDING']);
    expect(await attendance(owner, manual, 1)).toEqual({ [d.accountId]: 'PENDING' });
    expect(await Promise.all([a, b, c, d].map(score))).toEqual([93, 93, 86, 100]);
  });

  it('refuses attendance from a non-participant and owner actions from others', async () => {
    const owner = await account('owner2');
    const outsider = await account('outsider');
    const studyId = await study(owner, true, [], { 1: AT });
    expect((await api('POST', `/studies/${studyId}/weeks/1/attendance`, { token: outsider.token })).status).toBe(403);
    expect(
      (
        await api('POST', `/studies/${studyId}/participants`, {
          token: outsider.token,
          body: { accountId: outsider.accountId },
        })
      ).status,
    ).toBe(403);
    const dup = await api('POST', `/studies/${studyId}/weeks`, {
      token: owner.token,
      body: { week: 1, startsAt: iso(AT - DAY), endsAt: iso(AT) },
    });
    expect(dup.status).toBe(409);
    const backwards = await api('POST', `/studies/${studyId}/weeks`, {
      token: owner.token,
      body: { week: 2, startsAt: iso(AT), endsAt: iso(AT - DAY) },
    });
    expect(backwards.status).toBe(400);
    expect(backwards.body.error.details.map((d: { field: string }) => d.field)).toContain('endsAt');
  });

  it('leaves the attacked account at 100: its invitation sits unaccepted and a week that has ended is refused', async () => {
    // Anyone can be this owner: a demo account needs no credentials.
    const demo = await api('POST', '/demo-accounts', { body: {} });
    expect(demo.status).toBe(201);
    const attacker: Member = { accountId: demo.body.accountId, token: demo.body.token };
    const victim = await account('victim');
    const created = await api('POST', '/studies', {
      token: attacker.token,
      body: { name: 'trap', autoAttendance: true, absencePenalty: 1000 },
    });
    const trap = created.body.studyId as string;
    const invited = await api('POST', `/studies/${trap}/participants`, {
      token: attacker.token,
      body: { accountId: victim.accountId },
    });
    expect(invited.body).toMatchObject({ accountId: victim.accountId, status: 'INVITED' });
    const now = Date.now();
    const ended = await api('POST', `/studies/${trap}/weeks`, {
      token: attacker.token,
      body: { week: 1, startsAt: iso(now - 7 * DAY - HOUR), endsAt: iso(now - HOUR) },
    });
    expect(ended.status).toBe(400);
    expect(ended.body.error.details).toEqual([{ in: 'body', field: 'endsAt', message: 'must be in the future' }]);
    const soon = await api('POST', `/studies/${trap}/weeks`, {
      token: attacker.token,
      body: { week: 2, startsAt: iso(now - DAY), endsAt: iso(now + 2 * 60_000) },
    });
    expect(soon.status).toBe(201);
    // A run as of a moment after week 2 has ended.
    const run = await api('POST', '/admin/absence-runs', {
      token: cloud.adminToken,
      body: { at: iso(now + 3 * 60_000) },
    });
    await runToCompletion(run.body.runId);

    expect(await score(victim)).toBe(100);
    expect(await attendance(attacker, trap, 2)).toEqual({});
    expect((await api('POST', `/studies/${trap}/weeks/2/attendance`, { token: victim.token })).status).toBe(403);
    expect((await api('GET', '/accounts/me/invitations', { token: victim.token })).body.items).toEqual([
      { studyId: trap, name: 'trap', absencePenalty: 1000, invitedAt: expect.any(String) },
    ]);
    // Declining takes the invitation away.
    expect((await api('DELETE', `/studies/${trap}/participants/me`, { token: victim.token })).status).toBe(204);
    expect((await api('GET', '/accounts/me/invitations', { token: victim.token })).body.items).toEqual([]);
  });

  it('does not judge an account for a week that ended before it joined, and judges it for the weeks after', async () => {
    const owner = await account('late-owner');
    const late = await account('late');
    const created = await api('POST', '/studies', { token: owner.token, body: { name: 'late', autoAttendance: true } });
    const studyId = created.body.studyId as string;
    expect(
      (
        await api('POST', `/studies/${studyId}/participants`, {
          token: owner.token,
          body: { accountId: late.accountId },
        })
      ).status,
    ).toBe(201);
    const endsAt = Date.now() + 1500;
    for (const [week, end] of [
      [1, endsAt],
      [2, endsAt + DAY],
    ] as const) {
      const res = await api('POST', `/studies/${studyId}/weeks`, {
        token: owner.token,
        body: { week, startsAt: iso(end - 7 * DAY), endsAt: iso(end) },
      });
      expect(res.status).toBe(201);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, endsAt + 50 - Date.now())));
    const joined = await api('POST', `/studies/${studyId}/participants/me`, { token: late.token });
    expect(Date.parse(joined.body.joinedAt)).toBeGreaterThan(endsAt);
    // One run whose window holds both weeks.
    const run = await api('POST', '/admin/absence-runs', { token: cloud.adminToken, body: { at: iso(endsAt + DAY) } });
    await runToCompletion(run.body.runId);
    expect(await attendance(owner, studyId, 1)).toEqual({ [late.accountId]: 'PENDING' });
    expect(await attendance(owner, studyId, 2)).toEqual({ [late.accountId]: 'ABSENCE' });
    expect(await score(late)).toBe(95);
  });

  it('answers invitation mistakes with the 4xx a user expects', async () => {
    const owner = await account('rules-owner');
    const [guest, stranger] = await Promise.all([account('guest'), account('stranger')]);
    if (!guest || !stranger) throw new Error('accounts missing');
    const studyId = await study(owner, true, [], { 1: AT + DAY });
    const inviteOf = (m: Member) =>
      api('POST', `/studies/${studyId}/participants`, { token: owner.token, body: { accountId: m.accountId } });
    const accept = (m: Member) => api('POST', `/studies/${studyId}/participants/me`, { token: m.token });

    const self = await inviteOf(owner);
    expect(self.status).toBe(400);
    expect(self.body.error.details.map((d: { field: string }) => d.field)).toEqual(['accountId']);
    expect((await accept(stranger)).status).toBe(404);
    expect((await inviteOf(guest)).status).toBe(201);
    expect((await inviteOf(guest)).body.error.code).toBe('ALREADY_INVITED');
    expect((await accept(guest)).status).toBe(201);
    const twice = await accept(guest);
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('ALREADY_PARTICIPANT');
    expect((await inviteOf(guest)).body.error.code).toBe('ALREADY_PARTICIPANT');
    expect(await attendance(owner, studyId, 1)).toEqual({ [guest.accountId]: 'PENDING' });
    // Leaving: out of the attendance list, and nothing left to leave.
    expect((await api('DELETE', `/studies/${studyId}/participants/me`, { token: guest.token })).status).toBe(204);
    expect(await attendance(owner, studyId, 1)).toEqual({});
    expect((await api('DELETE', `/studies/${studyId}/participants/me`, { token: guest.token })).status).toBe(404);
  });

  it('deleting an invited account takes its invitation away; deleting the owner takes back the ones it sent', async () => {
    const owner = await account('inviting-owner');
    const [gone, waiting] = await Promise.all([account('gone'), account('waiting')]);
    if (!gone || !waiting) throw new Error('accounts missing');
    const studyId = await study(owner, true, [], { 1: AT + DAY });
    for (const m of [gone, waiting]) {
      await api('POST', `/studies/${studyId}/participants`, { token: owner.token, body: { accountId: m.accountId } });
    }
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
    const invitation = async (m: Member) =>
      (
        await db.send(
          new GetCommand({
            TableName: cloud.tableName,
            Key: { pk: `STUDY#${studyId}`, sk: `INVITE#${m.accountId}` },
            ConsistentRead: true,
          }),
        )
      ).Item;
    expect(await invitation(gone)).toBeDefined();
    expect((await api('DELETE', '/accounts/me', { token: gone.token })).status).toBe(204);
    expect(await invitation(gone)).toBeUndefined();
    expect((await api('GET', '/accounts/me/invitations', { token: waiting.token })).body.items).toHaveLength(1);
    expect((await api('DELETE', '/accounts/me', { token: owner.token })).status).toBe(204);
    expect((await api('GET', '/accounts/me/invitations', { token: waiting.token })).body.items).toEqual([]);
    expect(await invitation(waiting)).toBeUndefined();
    db.destroy();
  });

  it('makes one run of the nightly schedule’s message however often it is delivered, named after its fire time', async () => {
    const owner = await account('nightly-owner');
    const member = await account('nightly-member');
    // Fires a few whole seconds ahead, like the recurring schedule with the same input and target; the
    // week ends a second before it (in the future when it is added, inside the run's window).
    const fireAt = Math.ceil(Date.now() / 1000) * 1000 + 4000;
    const studyId = await study(owner, true, [member], { 1: fireAt - 1000 }, 'default');
    const scheduler = new SchedulerClient({});
    const sqs = new SQSClient({});
    const nightly = RECURRING_SCHEDULES.nightlyAbsence;
    await scheduler.send(
      new CreateScheduleCommand({
        Name: 'nightly-absence-now',
        GroupName: SCHEDULE_GROUPS.recurring.id,
        ScheduleExpression: `at(${iso(fireAt).slice(0, 19)})`,
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        Target: {
          Arn: cloud.queueArns.absence,
          RoleArn: LOCAL_SCHEDULER_ROLE_ARN,
          Input: JSON.stringify(nightly.input),
        },
      }),
    );
    // Named after the time the schedule names, wherever in its 60 s window the Scheduler lands.
    const runId = `nightly-${iso(fireAt)}`;
    const run = await waitFor(
      async () => {
        const res = await api('GET', `/admin/absence-runs/${runId}`, { token: cloud.adminToken });
        return res.status === 200 && res.body.status === 'DONE' ? res.body : undefined;
      },
      75_000,
      100,
    );
    // Weeks of the other tests may end in this window too (it ends now): count only this test's own.
    expect(run.runId).toBe(runId);
    expect(run.absences).toBeGreaterThanOrEqual(1);

    // The same message again, as SQS may redeliver it or the Scheduler retry it.
    const body = JSON.stringify({ ...nightly.input, at: `${iso(fireAt).slice(0, 19)}Z` });
    await sqs.send(new SendMessageCommand({ QueueUrl: cloud.queueUrls.absence, MessageBody: body }));
    await waitFor(
      async () => {
        const out = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: cloud.queueUrls.absence,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
          }),
        );
        const left =
          Number(out.Attributes?.ApproximateNumberOfMessages) +
          Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible);
        return left === 0 ? true : undefined;
      },
      10_000,
      100,
    );
    expect((await api('GET', `/admin/absence-runs/${runId}`, { token: cloud.adminToken })).body).toMatchObject({
      status: 'DONE',
      absences: run.absences,
    });
    expect(await attendance(owner, studyId, 1)).toEqual({ [member.accountId]: 'ABSENCE' });
    // The default penalty, once.
    expect(await score(member)).toBe(95);
    scheduler.destroy();
    sqs.destroy();
  }, 100_000);

  it('deleting a participant takes them out of the study; deleting the owner deletes the study', async () => {
    const owner = await account('leaving-owner');
    const [stays, leaves] = await Promise.all([account('stays'), account('leaves')]);
    if (!stays || !leaves) throw new Error('accounts missing');
    const studyId = await study(owner, true, [stays, leaves], { 1: AT + DAY });
    expect((await api('POST', `/studies/${studyId}/weeks/1/attendance`, { token: leaves.token })).status).toBe(201);
    expect((await api('DELETE', '/accounts/me', { token: leaves.token })).status).toBe(204);
    expect(await attendance(owner, studyId, 1)).toEqual({ [stays.accountId]: 'PENDING' });
    expect((await api('DELETE', '/accounts/me', { token: owner.token })).status).toBe(204);
    expect((await api('GET', `/studies/${studyId}/weeks/1/attendance`, { token: stays.token })).status).toBe(404);
    expect((await api('POST', `/studies/${studyId}/weeks/1/attendance`, { token: stays.token })).status).toBe(404);
  });

  it('answers 404 for a run that does not exist', async () => {
    expect((await api('GET', '/admin/absence-runs/nope', { token: cloud.adminToken })).status).toBe(404);
  });
});
