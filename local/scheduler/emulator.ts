// The project's local EventBridge Scheduler: the Scheduler API on 127.0.0.1 for a real SchedulerClient
// (through AWS_ENDPOINT_URL_SCHEDULER), and schedules that really fire into the local SQS, within the
// minute they name as AWS's do (or to the second, with a window of 0).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { SqsDelivery } from './delivery.ts';
import { FaultInjector, type SchedulerFaults } from './faults.ts';
import { type FiredInvocation, ScheduleFiring } from './firing.ts';
import { createApiListener } from './http-api.ts';
import { ScheduleStore } from './store.ts';

export type { ApiFaultKind, SchedulerFaults } from './faults.ts';
export type { FiredInvocation } from './firing.ts';

export interface SchedulerEmulatorOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number;
  /**
   * A client already pointed at the local SQS; targets and DLQs are reached through it. Give the emulator
   * its own (as the Scheduler is its own service in AWS): a herd of invocations queues on its sockets.
   */
  readonly sqs: SQSClient;
  /** Region in the ARNs the emulator makes (default us-east-1). */
  readonly region?: string;
  /** Account in the ARNs the emulator makes (default 000000000000). */
  readonly accountId?: string;
  /** Backoff before the first retry of a failed delivery, doubling after each (default 1000). */
  readonly retryBaseDelayMs?: number;
  /** JSON file that keeps schedules and groups across restarts; in memory only when absent. */
  readonly dataFile?: string;
  /** Where one-line reports (fired, retried, dead-lettered) go; silent by default. */
  readonly log?: (line: string) => void;
  /** Clock in epoch ms (default Date.now). */
  readonly now?: () => number;
  /**
   * As AWS: every invocation lands at a uniformly random moment within this many seconds after the time
   * it names, never before (default 60). 0 fires at the named second.
   */
  readonly firingWindowSeconds?: number;
  /** Invocation throttle, as AWS's quota (default 1,000 per second). */
  readonly invocationsPerSecond?: number;
  /** In [0, 1): where in its window an invocation lands (default Math.random). */
  readonly random?: () => number;
}

export const DEFAULT_FIRING_WINDOW_SECONDS = 60;
export const DEFAULT_INVOCATIONS_PER_SECOND = 1000;

/** What a test sees of a schedule. Times are epoch ms. */
export interface ScheduleSnapshot {
  readonly name: string;
  readonly group: string;
  readonly arn: string;
  readonly expression: string;
  readonly timezone?: string;
  readonly state: 'ENABLED' | 'DISABLED';
  readonly actionAfterCompletion: 'NONE' | 'DELETE';
  readonly targetArn: string;
  readonly input?: string;
  /** When its timer is set to fire next; absent when it will not fire again (or is disabled). */
  readonly nextFireAt?: number;
  /** Scheduled time of its last finished invocation. */
  readonly lastFireTime?: number;
}

export interface SchedulerEmulator {
  /** http://127.0.0.1:PORT, for AWS_ENDPOINT_URL_SCHEDULER or a client's `endpoint`. */
  readonly url: string;
  readonly port: number;
  readonly faults: SchedulerFaults;
  /** How late within its window an invocation may land (0: at the named second). */
  readonly firingWindowSeconds: number;
  schedules(): ScheduleSnapshot[];
  /** Every finished invocation, oldest first. */
  readonly fired: FiredInvocation[];
  /** Clears every timer, abandons deliveries under way, saves pending changes and closes the server. */
  stop(): Promise<void>;
}

export async function startSchedulerEmulator(options: SchedulerEmulatorOptions): Promise<SchedulerEmulator> {
  const clock = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const store = new ScheduleStore(
    options.region ?? 'us-east-1',
    options.accountId ?? '000000000000',
    options.dataFile,
    clock(),
    log,
  );
  await store.load();
  const injector = new FaultInjector(clock);
  const firing = new ScheduleFiring({
    store,
    delivery: new SqsDelivery(options.sqs, injector),
    clock,
    log,
    retryBaseDelayMs: options.retryBaseDelayMs ?? 1000,
    firingWindowMs: (options.firingWindowSeconds ?? DEFAULT_FIRING_WINDOW_SECONDS) * 1000,
    invocationsPerSecond: options.invocationsPerSecond ?? DEFAULT_INVOCATIONS_PER_SECOND,
    ...(options.random ? { random: options.random } : {}),
  });
  // Reloaded one-time schedules whose time passed while nothing ran fire now, as late deliveries.
  for (const schedule of store.listSchedules()) {
    try {
      firing.arm(schedule);
    } catch (error) {
      log(`scheduler: ${schedule.group}/${schedule.name} from ${options.dataFile} not armed: ${String(error)}`);
    }
  }

  const server = createServer(createApiListener({ store, firing, faults: injector, clock, log }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  log(`scheduler: Scheduler API on ${url}${options.dataFile ? `, schedules kept in ${options.dataFile}` : ''}`);
  const firingWindowSeconds = options.firingWindowSeconds ?? DEFAULT_FIRING_WINDOW_SECONDS;

  return {
    url,
    port,
    faults: injector.faults,
    fired: firing.fired,
    firingWindowSeconds,
    schedules: () =>
      store.listSchedules().map((schedule) => ({
        name: schedule.name,
        group: schedule.group,
        arn: schedule.arn,
        expression: schedule.expression,
        timezone: schedule.timezone,
        state: schedule.state,
        actionAfterCompletion: schedule.actionAfterCompletion,
        targetArn: schedule.target.Arn,
        input: schedule.target.Input,
        nextFireAt: firing.nextFireAt(schedule),
        lastFireTime: schedule.lastFireTime,
      })),
    async stop() {
      firing.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await Promise.all([closed, store.flush()]);
    },
  };
}
