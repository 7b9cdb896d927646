// The layering of src/ (npm run lint; .ci/run): each layer may import itself and the layers before
// it, never one after it.
//   core ← graph ← autodiff ← runtime ← data ← context ← eval ← methods ← record ← report ← api ← cli
// (X ← Y: Y may import X). src/index.ts, the library's entry, sits on top. Within methods, a method's
// folder imports no other method's folder (only methods/common and methods/types.ts), and nothing
// outside methods/ imports a method's folder: the method table (methods/table.ts) is the way in.
const LAYERS = [
  'core',
  'graph',
  'autodiff',
  'runtime',
  'data',
  'context',
  'eval',
  'methods',
  'record',
  'report',
  'api',
  'cli',
];
const METHOD_FOLDERS = ['ssd', 'gradtau', 'finetune'];

const upward = LAYERS.map((layer, i) => ({
  name: `${layer}-imports-upward`,
  comment: `src/${layer} may import only ${LAYERS.slice(0, i).join(', ') || 'nothing of scrub'} (and itself)`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: `^src/(${[...LAYERS.slice(i + 1), 'index\\.ts'].join('|')})` },
}));

const methodsApart = METHOD_FOLDERS.map((m) => ({
  name: `method-${m}-imports-another-method`,
  comment: `a method's folder imports no other method's folder (shared pieces live in methods/common)`,
  severity: 'error',
  from: { path: `^src/methods/${m}/` },
  to: { path: `^src/methods/(${METHOD_FOLDERS.filter((x) => x !== m).join('|')})/` },
}));

module.exports = {
  forbidden: [
    ...upward,
    ...methodsApart,
    {
      name: 'method-folder-from-outside',
      comment: "only the method table imports a method's folder",
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/methods/' },
      to: { path: `^src/methods/(${METHOD_FOLDERS.join('|')}|common)/` },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
