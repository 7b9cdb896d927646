// The run context and the options every command shares (see run-context.ts).
export { RunContext, type RunContextOptions } from './run-context.js';
export {
  datasetOptions,
  defaultOutputPath,
  headChoice,
  normalisation,
  openSet,
  type CommonOptions,
  type Stage,
} from './options.js';
export { gather, headOf, initialWeights, loadExamples, type ExampleSet } from './examples.js';
export { checkHeadLabels, labelFeeds } from './labels.js';
