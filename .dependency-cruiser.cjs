/**
 * The one-way rule of the layout (README, "Design"): pipeline/core is the shared vocabulary and
 * imports nothing outside itself; operators and sinks build on core alone; the Worker is a
 * separate deployable that shares only core; no cycles anywhere. `npm test` runs this check.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Data flows one way: a cycle means two modules depend on each other.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-imports-only-core',
      severity: 'error',
      comment: 'pipeline/core is the vocabulary everything else uses; it uses nothing else of ours.',
      from: { path: '^pipeline/core/' },
      to: { path: '^(pipeline/(?!core/)|operators/|sinks/|worker/|bench/|examples/|test/)' },
    },
    {
      name: 'operators-import-only-core',
      severity: 'error',
      comment: 'An operator computes from rows and batches (pipeline/core) and other operators, nothing more.',
      from: { path: '^operators/' },
      to: { path: '^(pipeline/(?!core/)|sinks/|worker/|bench/|examples/|test/)' },
    },
    {
      name: 'sinks-import-only-core',
      severity: 'error',
      comment: 'A sink consumes frames and events (pipeline/core); it never reaches into the engine or an operator.',
      from: { path: '^sinks/' },
      to: { path: '^(pipeline/(?!core/)|operators/|worker/|bench/|examples/|test/)' },
    },
    {
      name: 'worker-imports-only-core',
      severity: 'error',
      comment: 'The Worker is deployed on its own and shares only the KV contract and status rule in pipeline/core.',
      from: { path: '^worker/' },
      to: { path: '^(pipeline/(?!core/)|operators/|sinks/|bench/|examples/|test/)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs'] },
  },
};
