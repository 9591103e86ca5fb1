// The direction of imports, enforced by test/unit/architecture.test.ts (and `npm run lint:architecture`).
//
// Layers, each importing only those below it:
//   edges         lambdas/api/ (the HTTP edge), lambdas/sweeper/, lambdas/account-deletion/: compose capabilities
//   capabilities  lambdas/accounts/, lambdas/alarms/, lambdas/absence/, lambdas/jobs/
//   timer core    lambdas/timers/: what alarms and jobs share of being due at a time
//   HTTP kernel   lambdas/http/: route definition, router, request parsing, OpenAPI, the error-to-HTTP mapper
//   shared        lambdas/shared/: SDK clients, config, errors, table and due-index helpers
//   definitions   lib/definitions.ts: names only, imports nothing of the project
// A capability asks another only through that one's public module, its `index.ts`, and nobody outside a
// capability touches its store (`*-store.ts`): the owner of an item owns its keys. Handlers (`*.handler.ts`)
// are entry points nobody imports. lambdas/ never imports local/, test/ or bench/. No cycles, between
// modules or between folders. BOUNDS below says who never imports what; the rules after it are of other shapes.

const CAPABILITIES = '(accounts|alarms|absence|jobs)';
const EDGES = '(api|sweeper|account-deletion)';

/** A folder of lambdas/ below the capabilities: it may import only itself and the folders named. */
const onlyImports = (folder, mayImport) => ({
  from: `^lambdas/${folder}/`,
  to: '^lambdas/',
  except: `^lambdas/(${[folder, ...mayImport].join('|')})/`,
});

/** Who never imports what: the modules of `from` never import those of `to` (bar `except`). */
const BOUNDS = [
  {
    name: 'definitions-import-nothing',
    comment: 'lib/definitions.ts is the bottom layer: pure names, importable from any bundle.',
    from: '^lib/definitions\\.ts$',
    to: '^(lambdas|lib|local|test|bench|bin)/',
  },
  {
    name: 'shared-below-everything-in-lambdas',
    comment: 'lambdas/shared/ knows no kernel, capability or edge.',
    ...onlyImports('shared', []),
  },
  {
    name: 'http-kernel-below-capabilities',
    comment: 'The HTTP kernel knows no capability or edge; account-token resolution is injected by the edge.',
    ...onlyImports('http', ['shared']),
  },
  {
    name: 'timer-core-below-capabilities',
    comment:
      'lambdas/timers/ is the timer core under alarms and jobs: it knows no capability or edge; each kind hands it what it needs.',
    ...onlyImports('timers', ['shared']),
  },
  {
    name: 'capabilities-below-edges',
    comment: 'Capabilities never import an edge (the API, the sweeper, account deletion).',
    from: `^lambdas/${CAPABILITIES}/`,
    to: `^lambdas/${EDGES}/`,
  },
  {
    name: 'lambdas-never-import-local-or-tests',
    comment: 'The handlers run unchanged in AWS and locally; no "if local".',
    from: '^lambdas/',
    to: '^(local|test|bench|bin)/',
  },
  {
    name: 'lib-never-imports-code',
    comment: 'The stack names handler entries by path; it never imports lambdas/, local/ or tests.',
    from: '^lib/',
    to: '^(lambdas|local|test|bench)/',
  },
];

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    ...BOUNDS.map(({ name, comment, from, to, except }) => ({
      name,
      comment,
      severity: 'error',
      from: { path: from },
      to: except === undefined ? { path: to } : { path: to, pathNot: except },
    })),
    {
      name: 'nothing-imports-the-api-edge',
      comment: 'lambdas/api/ is the top: it composes the routes; nothing composes it.',
      severity: 'error',
      from: { pathNot: '^lambdas/api/' },
      to: { path: '^lambdas/api/' },
    },
    {
      name: 'capabilities-talk-through-index',
      comment: "A capability asks another only through that one's index.ts, never its internals.",
      severity: 'error',
      from: { path: `^lambdas/${CAPABILITIES}/` },
      to: { path: `^lambdas/${CAPABILITIES}/`, pathNot: ['^lambdas/$1/', `^lambdas/${CAPABILITIES}/index\\.ts$`] },
    },
    {
      name: 'stores-are-private',
      comment: 'Only its own capability touches a store: the owner of an item owns its keys.',
      severity: 'error',
      from: { path: '^(lambdas/[^/]+)/' },
      to: { path: '-store\\.ts$', pathNot: '^$1/' },
    },
    {
      name: 'handlers-are-entry-points',
      comment: 'A *.handler.ts is what Lambda loads; code to share belongs in a module beside it.',
      severity: 'error',
      from: {},
      to: { path: '\\.handler\\.ts$' },
    },
    {
      name: 'no-module-cycles',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-folder-cycles',
      comment: 'Folders form a hierarchy: two folders never import each other, directly or around a loop.',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unresolvable-imports',
      comment: 'An import the cruiser cannot resolve would escape every rule above (aws-lambda is types only).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, pathNot: '^aws-lambda$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
    moduleSystems: ['es6', 'cjs'],
    enhancedResolveOptions: {
      extensions: ['.ts', '.mjs', '.js', '.json'],
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'types', 'default'],
    },
  },
};
