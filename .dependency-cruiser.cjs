/**
 * The one-way rule of the layout (docs/design.md): pipeline/core is the shared vocabulary and
 * imports nothing outside itself; operators and sinks build on core alone; the Worker is a
 * separate deployable that shares only core; no cycles anywhere. `npm test` runs this check.
 */
const OURS = ['pipeline', 'operators', 'sinks', 'worker', 'bench', 'examples', 'test'];

/** `from` may import only pipeline/core and the folders in `own`; anything else of ours is an error. */
function onlyCore(name, from, own, comment) {
  const banned = OURS.filter((f) => !own.includes(f)).map((f) => (f === 'pipeline' ? 'pipeline/(?!core/)' : `${f}/`));
  return { name, severity: 'error', comment, from: { path: `^${from}` }, to: { path: `^(${banned.join('|')})` } };
}

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Data flows one way: a cycle means two modules depend on each other.',
      from: {},
      to: { circular: true },
    },
    onlyCore('core-imports-only-core', 'pipeline/core/', [], 'pipeline/core is the vocabulary everything else uses; it uses nothing else of ours.'),
    onlyCore('operators-import-only-core', 'operators/', ['operators'], 'An operator computes from rows and batches (pipeline/core) and other operators, nothing more.'),
    onlyCore('sinks-import-only-core', 'sinks/', ['sinks'], 'A sink consumes frames and events (pipeline/core); it never reaches into the engine or an operator.'),
    onlyCore('worker-imports-only-core', 'worker/', ['worker'], 'The Worker is deployed on its own and shares only the KV contract and status rule in pipeline/core.'),
    // Inside pipeline/, one way up: core ← source ← state ← engine ← cli.
    { name: 'source-below-state', severity: 'error', from: { path: '^pipeline/source/' }, to: { path: '^pipeline/(state|engine|cli)/' } },
    { name: 'state-below-engine', severity: 'error', from: { path: '^pipeline/state/' }, to: { path: '^pipeline/(engine|cli)/' } },
    { name: 'engine-below-cli', severity: 'error', from: { path: '^pipeline/engine/' }, to: { path: '^pipeline/cli/' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs'] },
  },
};
