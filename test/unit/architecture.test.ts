// The import direction of .dependency-cruiser.mjs, checked on the real tree and, to show each rule can
// fail, on small trees that break one rule each.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseOptions, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let options: ICruiseOptions;
const scratch: string[] = [];

beforeAll(async () => {
  options = await extractDepcruiseOptions(join(REPO_ROOT, '.dependency-cruiser.mjs'));
});

afterAll(async () => {
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

async function violationsIn(baseDir: string, roots: string[]): Promise<string[]> {
  const { output } = await cruise(roots, { ...options, baseDir, validate: true });
  const result = output as ICruiseResult;
  return result.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
}

/** Writes a tiny tree (path -> the files it imports) and cruises it with the project's rules. */
async function violationsOfTree(tree: Record<string, string[]>): Promise<string[]> {
  const root = await mkdtemp(join(tmpdir(), 'architecture-'));
  scratch.push(root);
  for (const [path, imports] of Object.entries(tree)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    const lines = imports.map((target) => {
      let relative = join(dirname(`/${path}`), '/')
        .split('/')
        .filter(Boolean)
        .map(() => '..')
        .join('/');
      relative = relative === '' ? '.' : relative;
      return `import '${relative}/${target}';`;
    });
    await writeFile(join(root, path), `${lines.join('\n')}\nexport const x = 1;\n`);
  }
  return violationsIn(
    root,
    ['lambdas', 'lib', 'local'].filter((top) => Object.keys(tree).some((p) => p.startsWith(`${top}/`))),
  );
}

const ruleNames = (violations: string[]) => [...new Set(violations.map((v) => v.split(':')[0]))];

describe('the import direction', () => {
  it('holds in lambdas/, lib/ and local/ today', async () => {
    expect(await violationsIn(REPO_ROOT, ['lambdas', 'lib', 'local'])).toEqual([]);
  });

  it('allows a tree that follows every rule', async () => {
    const violations = await violationsOfTree({
      'lib/definitions.ts': [],
      'lambdas/shared/table.ts': ['lib/definitions.ts'],
      'lambdas/http/router.ts': ['lambdas/shared/table.ts'],
      'lambdas/accounts/index.ts': ['lambdas/accounts/account-store.ts'],
      'lambdas/accounts/account-store.ts': ['lambdas/shared/table.ts'],
      'lambdas/alarms/alarm-store.ts': ['lambdas/accounts/index.ts'],
      'lambdas/alarms/routes.ts': ['lambdas/http/router.ts', 'lambdas/alarms/alarm-store.ts'],
      'lambdas/api/handler.ts': ['lambdas/alarms/routes.ts', 'lambdas/accounts/index.ts', 'lambdas/http/router.ts'],
    });
    expect(violations).toEqual([]);
  });

  it.each([
    [
      'the HTTP kernel imports a capability',
      { 'lambdas/http/router.ts': ['lambdas/accounts/accounts.ts'], 'lambdas/accounts/accounts.ts': [] },
      'http-kernel-below-capabilities',
    ],
    [
      'shared code imports the HTTP kernel',
      { 'lambdas/shared/errors.ts': ['lambdas/http/http.ts'], 'lambdas/http/http.ts': [] },
      'shared-below-everything-in-lambdas',
    ],
    [
      'a capability imports the API edge',
      { 'lambdas/alarms/routes.ts': ['lambdas/api/routes.ts'], 'lambdas/api/routes.ts': [] },
      'capabilities-below-edges',
    ],
    [
      'a capability imports the sweeper',
      { 'lambdas/alarms/alarms.ts': ['lambdas/sweeper/sweep.ts'], 'lambdas/sweeper/sweep.ts': [] },
      'capabilities-below-edges',
    ],
    [
      'lib/definitions.ts imports handler code',
      { 'lib/definitions.ts': ['lambdas/shared/ids.ts'], 'lambdas/shared/ids.ts': [] },
      'definitions-import-nothing',
    ],
    [
      'a capability reaches into internals of another',
      { 'lambdas/absence/studies.ts': ['lambdas/accounts/accounts.ts'], 'lambdas/accounts/accounts.ts': [] },
      'capabilities-talk-through-index',
    ],
    [
      'an edge reads a store',
      { 'lambdas/sweeper/sweep.ts': ['lambdas/alarms/alarm-store.ts'], 'lambdas/alarms/alarm-store.ts': [] },
      'stores-are-private',
    ],
    [
      'a module imports a handler',
      {
        'lambdas/alarms/alarms.ts': ['lambdas/alarms/send-due-alarm.handler.ts'],
        'lambdas/alarms/send-due-alarm.handler.ts': [],
      },
      'handlers-are-entry-points',
    ],
    [
      'handler code imports the local cloud',
      { 'lambdas/shared/config.ts': ['local/net.ts'], 'local/net.ts': [] },
      'lambdas-never-import-local-or-tests',
    ],
    [
      'two modules import each other',
      { 'lambdas/alarms/a.ts': ['lambdas/alarms/b.ts'], 'lambdas/alarms/b.ts': ['lambdas/alarms/a.ts'] },
      'no-module-cycles',
    ],
    [
      'two capabilities import each other through their public modules',
      {
        'lambdas/accounts/index.ts': ['lambdas/alarms/index.ts'],
        'lambdas/alarms/index.ts': ['lambdas/alarms/on-account-deleted.ts'],
        'lambdas/alarms/on-account-deleted.ts': ['lambdas/accounts/index.ts'],
      },
      'no-folder-cycles',
    ],
    [
      'two folders import each other through different modules',
      {
        'lambdas/accounts/index.ts': ['lambdas/alarms/index.ts'],
        'lambdas/accounts/accounts.ts': [],
        'lambdas/alarms/index.ts': [],
        'lambdas/alarms/alarms.ts': ['lambdas/accounts/index.ts'],
      },
      'no-folder-cycles',
    ],
    [
      'an import does not resolve',
      { 'lambdas/alarms/alarms.ts': ['lambdas/alarms/gone.ts'] },
      'no-unresolvable-imports',
    ],
  ] as const)('fails when %s', async (_what, tree, rule) => {
    const violations = await violationsOfTree(tree as unknown as Record<string, string[]>);
    expect(ruleNames(violations)).toContain(rule);
  });
});
