/** Import rules for src/ (`npm run deps`): no cycle between modules or between the folders of src/. */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycle',
      comment: 'The subsystems of src/ import one way: a cycle between two folders is a hidden service locator.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^src/[^/]+$' },
      to: { circular: true },
    },
    {
      name: 'no-module-cycle',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^src/inspector/client/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
