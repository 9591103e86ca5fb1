// Bundle size and cold load time of each Lambda, bundled as the stack bundles it, loaded in fresh
// Node processes. Load time is reported as a ratio to an empty handler's, which cancels machine speed.
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { ENV, FUNCTIONS } from '../lib/definitions.ts';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = join(ROOT, '.local-cloud', 'bench');
const RUNS = 10;

// Every env var a handler may read at load, with harmless values.
const env: Record<string, string> = { ...process.env } as Record<string, string>;
for (const name of Object.values(ENV)) env[name] ??= name.endsWith('_ARN') ? 'arn:aws:sqs:us-east-1:0:x' : 'x';
env[ENV.demoTtlSeconds] = '3600';
env[ENV.demoRateLimitPerMinute] = '10';
env.AWS_REGION = 'us-east-1';
env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

async function bundle(name: string, entry: string): Promise<string> {
  const outfile = join(OUT, `${name}.mjs`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    mainFields: ['module', 'main'],
    // The Node 22 runtime provides the AWS SDK v3; the stack leaves it out of the bundle too.
    external: ['@aws-sdk/*'],
    banner: { js: "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);" },
    logLevel: 'silent',
  });
  return outfile;
}

function loadMs(file: string): number {
  const script = `const t=performance.now();await import(${JSON.stringify(file)});process.stdout.write(String(performance.now()-t));`;
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env });
    samples.push(Number(out.toString()));
  }
  samples.sort((a, b) => a - b);
  return ((samples[4] ?? 0) + (samples[5] ?? 0)) / 2;
}

export async function benchColdStart(): Promise<string> {
  mkdirSync(OUT, { recursive: true });
  const emptyEntry = join(OUT, 'empty-entry.ts');
  writeFileSync(emptyEntry, 'export const handler = async () => ({ statusCode: 200 });\n');
  const empty = loadMs(await bundle('empty', emptyEntry));
  const rows = [
    `| function | bundle KB | cold load ms (median of ${RUNS}) | × empty handler |`,
    '| --- | ---: | ---: | ---: |',
  ];
  rows.push(
    `| (empty handler) | ${(statSync(join(OUT, 'empty.mjs')).size / 1024).toFixed(1)} | ${empty.toFixed(1)} | 1.0 |`,
  );
  for (const fn of Object.values(FUNCTIONS)) {
    const file = await bundle(fn.id, join(ROOT, fn.entry));
    const ms = loadMs(file);
    rows.push(
      `| ${fn.id} | ${(statSync(file).size / 1024).toFixed(1)} | ${ms.toFixed(1)} | ${(ms / empty).toFixed(1)} |`,
    );
  }
  return rows.join('\n');
}
