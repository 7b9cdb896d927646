// Prints the plain closing line CI reads: "tests: N passed, N failed, N skipped". Before it, once,
// the line of datasets.ts naming each data set whose suites were skipped because it is missing.
import type { Reporter, TestModule } from 'vitest/node';
import type {} from './datasets.js'; // declares TaskMeta.missingDataset

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const notes = new Set<string>();
    for (const m of modules) {
      const note = m.meta().missingDataset;
      if (note) notes.add(note);
      for (const t of m.children.allTests()) {
        const s = t.result().state;
        if (s === 'passed') passed++;
        else if (s === 'failed') failed++;
        else skipped++;
      }
    }
    if (notes.size) process.stdout.write(`\n${[...notes].join('\n')}\n`);
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
