// The local console: one page on 127.0.0.1 that shows what is scheduled, what fired and how late, the
// pushes, the queues and the absence runs, updated live over server-sent events. Read-only but for the
// "move back" button of a dead-letter queue. It talks to the stand-ins through the AWS SDK only.
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FcmPush } from '../fcm/fcm.ts';
import { closeServer, LOOPBACK, listenOnLoopback } from '../net.ts';
import { moveMessagesBack, RedriveError } from './redrive.ts';
import { type Endpoints, type QueueRecord, Sources, type WebhookCall, webhookCallsOf } from './sources.ts';
import { ConsoleModel, type ConsoleView } from './view.ts';

const PAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'page');
const PAGES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  '/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
};
/** How often the page is refreshed while someone watches. */
const REFRESH_MS = 1000;

export interface ConsoleOptions extends Endpoints {
  /** Port on 127.0.0.1; 0 picks a free one. */
  readonly port: number;
  /** The pushes the FCM stand-in received (it is part of the local cloud, so read in process). */
  readonly pushes?: () => readonly FcmPush[];
  /** Webhook calls beyond those the table records, if a stand-in keeps them. */
  readonly webhookCalls?: () => readonly WebhookCall[];
  readonly log?: (line: string) => void;
}

export interface LocalConsole {
  /** http://127.0.0.1:<port>/ */
  readonly url: string;
  /** Reads everything once and builds the page's data (what the page receives every second). */
  view(): Promise<ConsoleView>;
  stop(): Promise<void>;
}

export async function startConsole(options: ConsoleOptions): Promise<LocalConsole> {
  const sources = new Sources(options);
  const model = new ConsoleModel();
  const watchers = new Set<ServerResponse>();
  let lastQueues: QueueRecord[] = [];
  let current: Promise<ConsoleView> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const settle = async <T>(name: string, read: () => Promise<T>, errors: string[]): Promise<T | undefined> => {
    try {
      return await read();
    } catch (error) {
      errors.push(`${name}: ${(error as Error).message ?? String(error)}`);
      return undefined;
    }
  };

  /** One reading at a time; callers that arrive meanwhile share it. */
  const view = (): Promise<ConsoleView> => {
    current ??= (async () => {
      const errors: string[] = [];
      const [schedules, queues, items] = await Promise.all([
        settle('Scheduler', () => sources.schedules(), errors),
        settle('SQS', () => sources.queues(), errors),
        settle('DynamoDB', () => sources.tableItems(), errors),
      ]);
      if (queues) lastQueues = queues;
      return model.build({
        now: Date.now(),
        ...(schedules ? { schedules } : {}),
        ...(queues ? { queues } : {}),
        ...(items ? { items } : {}),
        pushes: options.pushes?.() ?? [],
        webhookCalls: [...webhookCallsOf(items ?? []), ...(options.webhookCalls?.() ?? [])],
        errors,
      });
    })().finally(() => {
      current = undefined;
    });
    return current;
  };

  const broadcast = async () => {
    timer = undefined;
    if (stopped || watchers.size === 0) return;
    const data = `data: ${JSON.stringify(await view())}\n\n`;
    for (const res of watchers) res.write(data);
    if (!stopped && watchers.size > 0) timer ??= setTimeout(broadcast, REFRESH_MS);
  };
  const refreshSoon = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(broadcast, 0);
  };

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      options.log?.(`[console] ${req.method} ${req.url} failed: ${(error as Error).message}`);
      if (!res.headersSent) json(res, 500, { error: (error as Error).message });
      else res.end();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://console').pathname;
    const page = PAGES[path];
    if (req.method === 'GET' && page) {
      res.writeHead(200, { 'content-type': page.type, 'cache-control': 'no-store' });
      res.end(await readFile(join(PAGE_DIR, page.file)));
      return;
    }
    if (req.method === 'GET' && path === '/api/view') return json(res, 200, await view());
    if (req.method === 'GET' && path === '/api/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      res.write('retry: 2000\n\n');
      watchers.add(res);
      req.on('close', () => watchers.delete(res));
      refreshSoon();
      return;
    }
    const redrive = /^\/api\/queues\/([^/]+)\/move-back$/.exec(path);
    if (req.method === 'POST' && redrive?.[1]) {
      // Only the page itself may press the button: a custom header forces a CORS preflight, which is never
      // answered, so another site open in the same browser cannot move messages.
      if (req.headers['x-console'] !== '1') return json(res, 403, { error: 'Use the console page' });
      if (lastQueues.length === 0) await view();
      try {
        const result = await moveMessagesBack(sources.sqs, lastQueues, decodeURIComponent(redrive[1]));
        options.log?.(`[console] moved ${result.moved} message(s) back from ${result.queue} (${result.method})`);
        json(res, 200, result);
      } catch (error) {
        if (error instanceof RedriveError) return json(res, 400, { error: error.message });
        throw error;
      } finally {
        refreshSoon();
      }
      return;
    }
    json(res, 404, { error: 'Not found' });
  }

  const port = await listenOnLoopback(server, options.port);
  return {
    url: `http://${LOOPBACK}:${port}/`,
    view,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      for (const res of watchers) res.end();
      watchers.clear();
      await closeServer(server);
      await current?.catch(() => {});
      sources.destroy();
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}
