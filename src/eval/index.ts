// Evaluation maths: metrics, the logistic regression behind the membership-inference attacks,
// and the seeded splits they use. Pure functions, no I/O.
export * from './result.js';
export * from './logistic.js';
export * from './splits.js';
export * from './crossval.js';
export * from './metrics.js';
