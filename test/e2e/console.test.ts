// The local console in a real browser (Chromium from @sparticuz/chromium, driven by puppeteer-core):
// what a person trying the product sees while alarms are booked, fire and a dead-letter queue is emptied.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import chromium from '@sparticuz/chromium';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../lib/house-function.ts';
import { LOCAL_REGION, type LocalCloud, startLocalCloud } from '../../local/cloud.ts';
import { type LocalConsole, startConsole } from '../../local/console/server.ts';
import { apiClient, sleep, waitFor } from '../support/http.ts';

const SCREENSHOT = join(REPO_ROOT, 'test-artifacts', 'console.png');
/** The Scheduler may invoke anywhere in its minute (AWS-like); an alarm is still due at its second. */
const FIRE_TIMEOUT_MS = 90_000;

let cloud: LocalCloud;
let consoleServer: LocalConsole;
let browser: Browser;
let page: Page;
let api: ReturnType<typeof apiClient>;
let sqs: SQSClient;
let owner: { accountId: string; token: string };
let soon: { alarmId: string; title: string; fireAt: number };

beforeAll(async () => {
  cloud = await startLocalCloud({ port: 0, demoTtlSeconds: 1800 });
  consoleServer = await startConsole({
    port: 0,
    region: LOCAL_REGION,
    dynamodb: cloud.dynamodbEndpoint,
    sqs: cloud.sqsEndpoint,
    scheduler: cloud.schedulerEndpoint,
    tableName: cloud.tableName,
    pushes: () => cloud.fcm?.received ?? [],
  });
  api = apiClient(cloud.apiUrl);
  sqs = new SQSClient({ region: LOCAL_REGION, endpoint: cloud.sqsEndpoint });
  const created = await api('POST', '/accounts', { token: cloud.adminToken, body: { nickname: 'ada' } });
  owner = { accountId: created.body.accountId, token: created.body.token };
  await api('POST', '/demo-accounts', { body: { nickname: 'visitor' } });

  browser = await puppeteer.launch({
    executablePath: await chromium.executablePath(),
    args: [...chromium.args, '--no-sandbox'],
    headless: true,
    defaultViewport: { width: 1440, height: 1000 },
  });
  page = await browser.newPage();
  await page.goto(consoleServer.url, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('#status.live', { timeout: 15_000 });
});

afterAll(async () => {
  await browser?.close();
  sqs?.destroy();
  await consoleServer?.stop();
  await cloud?.stop();
});

async function bookAlarm(title: string, fireAt: number, deviceToken: string) {
  const res = await api('POST', '/alarms', {
    token: owner.token,
    body: { fireAt: new Date(fireAt).toISOString(), title, body: 'From the console test', deviceToken },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { alarmId: res.body.alarmId as string, title, fireAt };
}

/** A time as the page (in a browser on this machine) writes it: hh:mm:ss, with M/D when not today. */
function localClock(ms: number): string {
  const d = new Date(ms);
  const time = [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
  return d.toDateString() === new Date().toDateString() ? time : `${d.getMonth() + 1}/${d.getDate()} ${time}`;
}
const textOf = (selector: string) => page.$eval(selector, (el) => el.textContent ?? '');
const waitForText = (selector: string, text: string, timeoutMs = 10_000) =>
  waitFor(async () => ((await textOf(selector).catch(() => '')) === text ? true : undefined), timeoutMs, 100);

/** How the page writes a lag under an hour (console.js `duration`). */
function shownLag(ms: number): string {
  const abs = Math.abs(ms);
  const sign = ms < 0 ? '−' : '';
  if (abs < 1000) return `${sign}${Math.round(abs)} ms`;
  if (abs < 60_000) return `${sign}${(abs / 1000).toFixed(abs < 10_000 ? 2 : 1)} s`;
  return `${sign}${Math.floor(abs / 60_000)} min ${String(Math.floor((abs % 60_000) / 1000)).padStart(2, '0')} s`;
}

describe('the local console in a browser', () => {
  it("should show a booked alarm coming up, with its schedule's own time and its due time on the timeline", async () => {
    soon = await bookAlarm('Stand-up', Date.now() + 6_000, 'device-console-a');
    await bookAlarm('Coffee', Date.now() + 7_000, 'device-console-d');
    await bookAlarm('Stretch', Date.now() + 8_500, 'device-console-e');
    const later = await bookAlarm('Lunch', Date.now() + 25 * 60_000, 'device-console-b');
    await bookAlarm('Deploy window', Date.now() + 50 * 60_000, 'device-console-c');

    const row = (alarmId: string) => `#upcoming tr[data-id="alarm:${alarmId}"]`;
    await page.waitForSelector(row(soon.alarmId), { timeout: 10_000 });
    await page.waitForSelector(row(later.alarmId), { timeout: 10_000 });
    expect(await textOf(`${row(soon.alarmId)} td:first-child`)).toBe(soon.title);
    expect(await textOf(`${row(soon.alarmId)} .due-at`)).toBe(localClock(soon.fireAt));
    // A schedule may fire (and delete itself) at once for an alarm this close, so its own time is checked
    // on the alarm booked for later, whose schedule is still waiting.
    expect(await textOf(`${row(later.alarmId)} .due-at`)).toBe(localClock(later.fireAt));
    expect(await textOf(`${row(later.alarmId)} .schedule-at`)).toMatch(/^(\d+\/\d+ )?\d\d:\d\d:\d\d$/);
    const titles = await page.$$eval('#timeline circle', (circles) =>
      circles.map((c) => `${c.getAttribute('class')}|${c.querySelector('title')?.textContent}`),
    );
    expect(titles.some((t) => t.startsWith('due|') && t.includes(soon.title))).toBe(true);
    expect(titles.some((t) => t.startsWith('due|') && t.includes(later.title))).toBe(true);
    expect(titles.some((t) => t.startsWith('sched|') && t.includes(later.title))).toBe(true);
  });

  it('should show the alarm as fired with its lag, and its push as the FCM stand-in received it', {
    timeout: FIRE_TIMEOUT_MS + 20_000,
  }, async () => {
    const sent = await waitFor(
      async () => {
        const alarm = (await api('GET', `/alarms/${soon.alarmId}`, { token: owner.token })).body;
        return alarm.status === 'SENT' ? alarm : undefined;
      },
      FIRE_TIMEOUT_MS,
      250,
    );
    const lag = Date.parse(sent.sentAt) - Date.parse(sent.fireAt);

    const fired = `#fired tr[data-id="alarm:${soon.alarmId}"]`;
    await page.waitForSelector(fired, { timeout: 10_000 });
    expect(await textOf(`${fired} .lag`)).toBe(shownLag(lag));
    expect(await textOf(`${fired} td:last-child`)).toBe('SENT');
    expect(await page.$(`#upcoming tr[data-id="alarm:${soon.alarmId}"]`)).toBeNull();

    const push = `#pushes tr[data-alarm-id="${soon.alarmId}"]`;
    await page.waitForSelector(push, { timeout: 10_000 });
    expect(await textOf(`${push} td:nth-child(3)`)).toBe(soon.title);
    const received = cloud.fcm?.received.find((p) => p.data.alarmId === soon.alarmId);
    expect(received?.title).toBe(soon.title);
    expect(await textOf(`${push} .lag`)).toBe(shownLag(Date.parse(received?.time ?? '') - soon.fireAt));
    expect(await textOf('#lag-stats')).toContain('alarms sent');
    expect(Number(await page.$eval('#lag-stats b', (b) => b.textContent))).toBeGreaterThanOrEqual(1);
  });

  it("should empty a dead-letter queue into its work queue when its 'Move back' button is pressed", {
    timeout: 60_000,
  }, async () => {
    // A message for an alarm that no longer exists: once back on its queue the consumer drops it.
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: cloud.dlqUrls.alarmPush,
        MessageBody: JSON.stringify({ kind: 'send-due-alarm', accountId: 'gone', alarmId: 'gone', version: 1 }),
      }),
    );
    const dlqCell = '#queues tr[data-queue="alarm-push"] .dlq-depth';
    await waitForText(dlqCell, '1');

    const runs = await api('POST', '/admin/absence-runs', { token: cloud.adminToken, body: {} });
    expect(runs.status).toBe(202);
    await page.click('[data-move-back="alarm-push-dlq"]');
    await waitForText(dlqCell, '0');
    expect(await textOf('#redrive-result')).toMatch(/alarm-push-dlq: 1 message\(s\) moved back/);

    const depth = async (url: string) => {
      const { Attributes: a = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible);
    };
    expect(await depth(cloud.dlqUrls.alarmPush)).toBe(0);
    // The consumer took it and dropped it: the work queue empties too.
    await waitFor(async () => ((await depth(cloud.queueUrls.alarmPush)) === 0 ? true : undefined), 10_000);

    await page.waitForSelector(`#runs tr[data-run="${runs.body.runId}"]`, { timeout: 10_000 });
    await page.waitForSelector('#accounts tr[data-account]', { timeout: 5_000 });
    // For the screenshot only: give the other two alarms booked above a moment to fire too.
    await waitFor(async () => ((cloud.fcm?.received.length ?? 0) >= 3 ? true : undefined), 10_000).catch(() => {});
    await sleep(1500);
    mkdirSync(join(REPO_ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT as `${string}.png`, fullPage: true });
  });
});
