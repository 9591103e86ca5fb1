// Runs DynamoDB Local as a child Java process on a free port, in memory or in DATA_DIR/dynamodb.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { freeLoopbackPort, LOOPBACK, sleep } from '../net.ts';
import { ensureDynamoDbLocal } from './fetch.ts';

export interface DynamoDbLocal {
  /** For AWS_ENDPOINT_URL_DYNAMODB. */
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** Keep tables in `<dataDir>/dynamodb` across restarts; in memory when absent. */
  readonly dataDir?: string;
  readonly log?: (line: string) => void;
  readonly readyTimeoutMs?: number;
}

// Java is started under a small shell that kills it as soon as our end of its stdin closes. The kernel
// closes that pipe however this process ends (Ctrl-C, SIGTERM, SIGKILL, a crashed test worker), so no
// orphaned JVM keeps a port and half a gigabyte of memory after us.
const GUARD = `
exec 3<&0
java "$@" </dev/null &
pid=$!
( read -r _ <&3; kill "$pid" 2>/dev/null ) &
guard=$!
wait "$pid"
status=$?
kill "$guard" 2>/dev/null
exit "$status"
`;

const STOP_GRACE_MS = 3000;

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const files = await ensureDynamoDbLocal(options.log);
  const storage: string[] = ['-inMemory'];
  if (options.dataDir) {
    const dbPath = join(options.dataDir, 'dynamodb');
    await mkdir(dbPath, { recursive: true });
    storage.splice(0, 1, '-dbPath', dbPath);
  }
  // The free port can be taken between probing and Java binding it; try a few.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeLoopbackPort();
    const args = [
      `-Djava.library.path=${files.libDir}`,
      '-jar',
      files.jar,
      '-sharedDb',
      '-disableTelemetry',
      ...storage,
      '-port',
      String(port),
    ];
    try {
      return await launch(files.dir, args, port, options.readyTimeoutMs ?? 30_000);
    } catch (error) {
      lastError = error;
      if (!String(error).includes('Address already in use')) break;
    }
  }
  throw lastError;
}

async function launch(cwd: string, javaArgs: string[], port: number, readyTimeoutMs: number): Promise<DynamoDbLocal> {
  const child = spawn('sh', ['-c', GUARD, 'dynamodb-local', ...javaArgs], {
    cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
    // Its own process group: a terminal's Ctrl-C reaches only us, and we stop Java after the consumers.
    detached: true,
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    output.splice(0, Math.max(0, output.length - 40));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let running = true;
  void exited.then(() => {
    running = false;
  });
  const killGroup = () => killProcessGroup(child);
  process.once('exit', killGroup);

  const endpoint = `http://${LOOPBACK}:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  try {
    for (;;) {
      if (!running) throw new Error(`DynamoDB Local exited during start:\n${output.join('\n')}`);
      if (await answers(endpoint)) break;
      if (Date.now() > deadline)
        throw new Error(`DynamoDB Local not ready within ${readyTimeoutMs} ms:\n${output.join('\n')}`);
      await sleep(50);
    }
  } catch (error) {
    killGroup();
    process.off('exit', killGroup);
    await exited;
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    port,
    stop() {
      stopping ??= (async () => {
        if (running) {
          child.stdin?.end();
          const grace = sleep(STOP_GRACE_MS).then(() => 'late' as const);
          if ((await Promise.race([exited, grace])) === 'late') killGroup();
          await exited;
        }
        process.off('exit', killGroup);
      })();
      return stopping;
    },
  };
}

function killProcessGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Any HTTP answer means the server is up; an unsigned request gets a 400, which is fine. */
async function answers(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables' },
      body: '{}',
      signal: AbortSignal.timeout(1000),
    });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}
