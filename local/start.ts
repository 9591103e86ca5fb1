// `npm start`: the whole backend on this machine, in the foreground, until Ctrl-C.
import { accessSync, constants, mkdirSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ENV } from '../lib/definitions.ts';
import { LOCAL_REGION, type LocalCloud, type LocalCloudOptions, startLocalCloud } from './cloud.ts';
import { type LocalConsole, startConsole } from './console/server.ts';
import { printWebhookCallsReadably } from './webhook-calls.ts';

/** Variables only the local cloud reads (the rest are the handlers' own, from lib/definitions.ts). */
const PORT = 'PORT';
const DATA_DIR = 'DATA_DIR';
const CONSOLE_PORT = 'CONSOLE_PORT';
const SCHEDULER_FIRING_WINDOW_SECONDS = 'SCHEDULER_FIRING_WINDOW_SECONDS';
const SCHEDULER_INVOCATIONS_PER_SECOND = 'SCHEDULER_INVOCATIONS_PER_SECOND';
const DEFAULT_PORT = 3000;

class BadSetting extends Error {}

function setting(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integerSetting(name: string, min: number, max: number): number | undefined {
  const raw = setting(name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new BadSetting(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function urlSetting(name: string): string | undefined {
  const raw = setting(name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new BadSetting(`${name} must be an http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new BadSetting(`${name} must be an http(s) URL, got "${raw}"`);
  return raw.replace(/\/+$/, '');
}

function credentialsFileSetting(name: string): string | undefined {
  const raw = setting(name);
  if (raw === undefined) return undefined;
  const file = resolve(raw);
  let key: unknown;
  try {
    key = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new BadSetting(
      `${name} must name a readable service-account JSON file, got "${raw}" (${(error as Error).message})`,
    );
  }
  const missing = ['project_id', 'private_key', 'client_email', 'token_uri'].filter(
    (field) => typeof (key as Record<string, unknown>)[field] !== 'string',
  );
  if (missing.length > 0)
    throw new BadSetting(`${name} (${file}) is not a service-account key: it lacks ${missing.join(', ')}`);
  return file;
}

function dataDirSetting(name: string): string | undefined {
  const raw = setting(name);
  if (raw === undefined) return undefined;
  const dir = resolve(raw);
  try {
    mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw new BadSetting(
      `${name} must be a directory that can be created and written, got "${raw}" (${(error as Error).message})`,
    );
  }
  return dir;
}

function readOptions(): LocalCloudOptions {
  const fcmBaseUrl = urlSetting(ENV.fcmBaseUrl);
  const fcmCredentialsFile = credentialsFileSetting(ENV.fcmCredentialsFile);
  if (fcmBaseUrl && !fcmCredentialsFile) {
    throw new BadSetting(
      `${ENV.fcmBaseUrl} is set, so ${ENV.fcmCredentialsFile} must name the service-account key to send with`,
    );
  }
  const adminToken = setting(ENV.adminToken);
  const demoTtlSeconds = integerSetting(ENV.demoTtlSeconds, 1, 365 * 86_400);
  const demoRateLimitPerMinute = integerSetting(ENV.demoRateLimitPerMinute, 1, 1_000_000);
  const dataDir = dataDirSetting(DATA_DIR);
  const schedulerFiringWindowSeconds = integerSetting(SCHEDULER_FIRING_WINDOW_SECONDS, 0, 3600);
  const schedulerInvocationsPerSecond = integerSetting(SCHEDULER_INVOCATIONS_PER_SECOND, 1, 1_000_000);
  return {
    port: integerSetting(PORT, 0, 65_535) ?? DEFAULT_PORT,
    ...(demoTtlSeconds === undefined ? {} : { demoTtlSeconds }),
    ...(adminToken === undefined ? {} : { adminToken }),
    ...(dataDir === undefined ? {} : { dataDir }),
    ...(fcmBaseUrl === undefined ? {} : { fcmBaseUrl }),
    ...(fcmCredentialsFile === undefined ? {} : { fcmCredentialsFile }),
    ...(demoRateLimitPerMinute === undefined ? {} : { demoRateLimitPerMinute }),
    ...(schedulerFiringWindowSeconds === undefined ? {} : { schedulerFiringWindowSeconds }),
    ...(schedulerInvocationsPerSecond === undefined ? {} : { schedulerInvocationsPerSecond }),
    log: (line) => console.log(line),
  };
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  let options: LocalCloudOptions;
  try {
    options = readOptions();
  } catch (error) {
    if (error instanceof BadSetting) {
      console.error(`Cannot start: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  // The handlers' structured logs and metrics would bury the pushes; warnings and errors still show.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  // Every call to a job's URL is logged whatever the level; printed here like a push.
  printWebhookCallsReadably();
  // The functions run on Node 22 in AWS; the SDK's notice about future releases dropping Node 20 is not
  // about them, and its ten lines would be the first thing a newcomer reads.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

  let cloud: LocalCloud;
  try {
    cloud = await startLocalCloud(options);
  } catch (error) {
    console.error(`Cannot start the local cloud: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  // The console is a viewer beside the local cloud (PORT + 1 unless CONSOLE_PORT says otherwise).
  let consoleServer: LocalConsole;
  try {
    const apiPort = Number(new URL(cloud.apiUrl).port);
    const consolePort = integerSetting(CONSOLE_PORT, 0, 65_535) ?? (options.port === 0 ? 0 : apiPort + 1);
    consoleServer = await startConsole({
      port: consolePort,
      region: LOCAL_REGION,
      dynamodb: cloud.dynamodbEndpoint,
      sqs: cloud.sqsEndpoint,
      scheduler: cloud.schedulerEndpoint,
      tableName: cloud.tableName,
      ...(cloud.fcm ? { pushes: () => cloud.fcm?.received ?? [] } : {}),
      log: (line) => console.log(line),
    }).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
        throw new BadSetting(`Port ${consolePort} on 127.0.0.1 is in use; set ${CONSOLE_PORT} to another one (or 0)`);
      throw error;
    });
  } catch (error) {
    console.error(`Cannot start the console: ${error instanceof Error ? error.message : String(error)}`);
    await cloud.stop();
    process.exit(1);
  }
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  const pushes = cloud.fcm
    ? `printed here, one line each (FCM stand-in on ${cloud.fcm.baseUrl})`
    : `sent to ${options.fcmBaseUrl} with ${options.fcmCredentialsFile}`;
  console.log(
    [
      '',
      `Local cloud ready in ${seconds} s`,
      `  API          ${cloud.apiUrl}   (try ${cloud.apiUrl}/health, ${cloud.apiUrl}/openapi.json)`,
      `  Admin token  ${cloud.adminToken}`,
      `  Console      ${consoleServer.url}`,
      `  Pushes       ${pushes}`,
      `  User URLs    http: and loopback (127.0.0.1, ::1) allowed here too; never private or link-local addresses`,
      `  Data         ${options.dataDir ? `kept in ${options.dataDir}` : `in memory (set ${DATA_DIR} to keep it)`}`,
      `  Handler logs at ${process.env.POWERTOOLS_LOG_LEVEL} (set POWERTOOLS_LOG_LEVEL=INFO for more)`,
      `  Scheduler fires ${
        cloud.scheduler.firingWindowSeconds === 0
          ? 'at the named second'
          : `within ${cloud.scheduler.firingWindowSeconds} s after the named time, as AWS does`
      } (${SCHEDULER_FIRING_WINDOW_SECONDS})`,
      `DynamoDB endpoint  ${cloud.dynamodbEndpoint}`,
      `SQS endpoint  ${cloud.sqsEndpoint}`,
      `Scheduler endpoint  ${cloud.schedulerEndpoint}`,
      '  (look inside: aws --endpoint-url <endpoint> dynamodb|sqs|scheduler ..., see README "Local cloud")',
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );

  let stoppingSince: number | undefined;
  const stop = (signal: NodeJS.Signals) => {
    if (stoppingSince !== undefined) {
      // npm, tsx and the terminal may each pass on the same Ctrl-C; only a second press a moment later means "now".
      if (Date.now() - stoppingSince < 1000) return;
      console.error(`${signal} again: exiting without a clean stop`);
      process.exit(1);
    }
    stoppingSince = Date.now();
    console.log(`\n${signal}: stopping…`);
    Promise.all([consoleServer.stop(), cloud.stop()]).then(
      () => {
        console.log('Stopped.');
        process.exit(0);
      },
      (error: unknown) => {
        console.error(`Stopped with an error: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => stop(signal));
}

void main();
