// Cold import of every Lambda as deployed: the stack is synthesized (its own bundling, into
// .local-cloud/bench/cdk.out) and each function's asset is imported in fresh Node processes with the
// function's environment (NODE_OPTIONS included), beside an empty handler; the ratio cancels machine speed.
// Wall-clock and CPU time both: on a shared machine, waiting for a core inflates wall time, CPU time less.
// Two comparisons per function: the same asset started with --enable-source-maps (what the
// sourceMapStackTraces context turns on), and the other choice of bundling the AWS SDK (bundled if the stack
// leaves it external, external if the stack bundles it).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, type CfnElement } from 'aws-cdk-lib';
import { build } from 'esbuild';
import { FUNCTIONS } from '../lib/definitions.ts';
import { HOUSE_ALIASES, HOUSE_BUNDLING, SOURCE_MAP_NODE_OPTIONS } from '../lib/house-function.ts';
import { type FunctionKey, SchedulingStack, STACK_ID } from '../lib/scheduling-stack.ts';

const ROOT = resolve(import.meta.dirname, '..');
// Inside the repository, so an asset that leaves the SDK external resolves it from node_modules, as the
// runtime's own copy would be.
const OUT = join(ROOT, '.local-cloud', 'bench');
const RUNS = 15;
/** The goal: every function's cold import at most this many times an empty handler's. */
export const GOAL_RATIO = 8;

interface DeployedFunction {
  readonly key: FunctionKey;
  readonly id: string;
  readonly entry: string;
  readonly file: string;
  readonly env: Record<string, string>;
}

/** A CloudFormation value the bench cannot resolve (Ref, GetAtt) becomes a harmless one of the same kind. */
function placeholder(name: string): string {
  if (name.endsWith('_ARN')) return 'arn:aws:sqs:us-east-1:123456789012:bench';
  if (name.endsWith('_URL')) return 'https://sqs.us-east-1.amazonaws.com/123456789012/bench';
  return 'bench';
}

/** What every Lambda process has, whatever the function. */
const LAMBDA_ENV = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
};

function synthesize(): DeployedFunction[] {
  const outdir = join(OUT, 'cdk.out');
  rmSync(outdir, { recursive: true, force: true });
  const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const app = new App({
    outdir,
    context: { ...cdkJson.context, 'aws:cdk:disable-stack-trace': true, 'aws:cdk:enable-asset-metadata': true },
  });
  const stack = new SchedulingStack(app, STACK_ID, { env: { account: '123456789012', region: 'us-east-1' } });
  const template = app.synth().getStackArtifact(stack.artifactId).template as {
    Resources: Record<string, { Metadata?: Record<string, string>; Properties: Record<string, unknown> }>;
  };
  return (Object.keys(FUNCTIONS) as FunctionKey[]).map((key) => {
    const fn = stack.functions[key];
    const logicalId = stack.resolve(stack.getLogicalId(fn.node.defaultChild as CfnElement)) as string;
    const resource = template.Resources[logicalId];
    const assetPath = resource?.Metadata?.['aws:asset:path'];
    if (!resource || !assetPath) throw new Error(`${key}: no bundled asset in the synthesized template`);
    const handler = String(resource.Properties.Handler);
    const variables = (resource.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    const env: Record<string, string> = { ...LAMBDA_ENV, AWS_LAMBDA_FUNCTION_NAME: fn.definition.id };
    for (const [name, value] of Object.entries(variables)) {
      env[name] = typeof value === 'string' ? value : placeholder(name);
    }
    const [module, exported] = handler.split('.');
    if (exported !== fn.definition.handler) throw new Error(`${key}: handler ${handler}`);
    return {
      key,
      id: fn.definition.id,
      entry: fn.definition.entry,
      file: join(outdir, assetPath, `${module}.mjs`),
      env,
    };
  });
}

/** The function bundled as the stack bundles it, but with the other choice about the AWS SDK. */
async function bundleOtherWay(fn: DeployedFunction, bundleSdk: boolean): Promise<string> {
  const outfile = join(OUT, bundleSdk ? 'sdk-bundled' : 'sdk-external', fn.id, 'index.mjs');
  await build({
    entryPoints: [join(ROOT, fn.entry)],
    outfile,
    bundle: true,
    platform: 'node',
    minify: HOUSE_BUNDLING.minify,
    sourcemap: HOUSE_BUNDLING.sourceMap,
    sourcesContent: HOUSE_BUNDLING.sourcesContent,
    target: HOUSE_BUNDLING.target,
    format: 'esm',
    mainFields: [...HOUSE_BUNDLING.mainFields],
    external: bundleSdk ? [] : ['@aws-sdk/*'],
    banner: { js: HOUSE_BUNDLING.banner },
    alias: HOUSE_ALIASES,
    logLevel: 'silent',
  });
  return outfile;
}

interface Sample {
  /** Wall-clock ms of the import. */
  readonly wall: number;
  /** CPU ms the process spent on it (all its threads): what a shared machine's load inflates least. */
  readonly cpu: number;
}

/** One import of `file` (finding its handler) in a fresh Node process. */
function importOnce(file: string, env: Record<string, string>): Sample {
  const script = `const c=process.cpuUsage();const t=performance.now();const m=await import(${JSON.stringify(pathToFileURL(file).href)});if(typeof m.handler!=='function')process.exit(3);const w=performance.now()-t;const u=process.cpuUsage(c);process.stdout.write(w+' '+(u.user+u.system)/1000);`;
  const [wall, cpu] = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env })
    .toString()
    .split(' ')
    .map(Number);
  return { wall: wall ?? Number.NaN, cpu: cpu ?? Number.NaN };
}

const median = (samples: number[]) => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)] ?? Number.NaN;

/**
 * Median wall and CPU ms of each import, RUNS rounds each taking one sample of every import in turn: on a
 * shared machine whose load swings, the empty handler and the function then meet the same load.
 */
function importMs(imports: readonly { file: string; env: Record<string, string> }[]): Sample[] {
  const samples = imports.map((): Sample[] => []);
  for (let round = 0; round < RUNS; round++) {
    imports.forEach(({ file, env }, i) => {
      samples[i]?.push(importOnce(file, env));
    });
  }
  return samples.map((own) => ({ wall: median(own.map((s) => s.wall)), cpu: median(own.map((s) => s.cpu)) }));
}

const kb = (file: string) => (statSync(file).size / 1024).toFixed(0);
const withSourceMaps = (env: Record<string, string>) => ({ ...env, NODE_OPTIONS: SOURCE_MAP_NODE_OPTIONS });

export async function benchColdStart(): Promise<string> {
  mkdirSync(OUT, { recursive: true });
  const emptyFile = join(OUT, 'empty.mjs');
  writeFileSync(emptyFile, 'export const handler = async () => ({ statusCode: 200 });\n');
  const sdkBundled = !(HOUSE_BUNDLING.externalModules as readonly string[]).includes('@aws-sdk/*');
  const other = sdkBundled ? 'SDK external' : 'SDK bundled';
  const rows: string[] = [];
  let worst = 0;
  let worstCpu = 0;
  for (const fn of synthesize()) {
    const otherFile = await bundleOtherWay(fn, !sdkBundled);
    const none = { wall: Number.NaN, cpu: Number.NaN };
    const [empty = none, deployed = none, maps = none, otherWay = none] = importMs([
      { file: emptyFile, env: LAMBDA_ENV },
      { file: fn.file, env: fn.env },
      { file: fn.file, env: withSourceMaps(fn.env) },
      { file: otherFile, env: fn.env },
    ]);
    worst = Math.max(worst, deployed.wall / empty.wall);
    worstCpu = Math.max(worstCpu, deployed.cpu / empty.cpu);
    const ratio = (sample: Sample) => (sample.wall / empty.wall).toFixed(1);
    rows.push(
      `| ${fn.id} | ${kb(fn.file)} | ${empty.wall.toFixed(1)} | ${deployed.wall.toFixed(1)} | ${ratio(deployed)} | ` +
        `${(deployed.cpu / empty.cpu).toFixed(1)} | ${maps.wall.toFixed(1)} | ${ratio(maps)} | ` +
        `${kb(otherFile)} | ${otherWay.wall.toFixed(1)} | ${ratio(otherWay)} |`,
    );
  }
  rows.unshift(
    `Median of ${RUNS} fresh Node ${process.version} processes each, interleaved with an empty handler's. ` +
      `As deployed: SDK ${sdkBundled ? 'bundled' : 'external'}, NODE_OPTIONS as the function has it.`,
    '',
    `| function | KB | empty handler ms | as deployed ms | × empty | × empty, CPU ms | with --enable-source-maps ms | × empty | ${other}: KB | ms | × empty |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  rows.push(
    '',
    `Worst as deployed: ${worst.toFixed(1)}× an empty handler (${worstCpu.toFixed(1)}× in CPU time; goal ≤ ${GOAL_RATIO}×): ${worst <= GOAL_RATIO ? 'met' : 'NOT met'}.`,
  );
  return rows.join('\n');
}
