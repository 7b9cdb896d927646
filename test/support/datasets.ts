// Data sets the tests read from Debian packages rather than from test/fixtures.
// A suite that needs one that is missing is skipped, and the run ends with one line naming the
// package and its install command (printed once, by summary-reporter.ts). Under
// SCRUB_REQUIRE_DATASETS=1 (.ci/run sets it) a missing data set fails the file instead.
import { existsSync } from 'node:fs';
import { it, TestRunner } from 'vitest';

/** Where Debian's dataset-fashion-mnist puts the IDX files; SCRUB_FASHION_MNIST_DIR overrides it
 * (to check the skip path with a missing folder, or to use a copy elsewhere). */
export const FASHION_MNIST = process.env.SCRUB_FASHION_MNIST_DIR || '/usr/share/datasets/fashion-mnist';
const FILES = ['train', 't10k'].flatMap((s) => [`${s}-images-idx3-ubyte.gz`, `${s}-labels-idx1-ubyte.gz`]);
export const hasFashionMnist = FILES.every((f) => existsSync(`${FASHION_MNIST}/${f}`));

/** Set by .ci/run: a missing data set fails instead of skipping. */
export const REQUIRE_DATASETS = 'SCRUB_REQUIRE_DATASETS';
const PACKAGE = 'dataset-fashion-mnist';
/** The one line a run prints when suites were skipped for want of Fashion-MNIST. */
export const FASHION_MNIST_NOTE =
  `skipped: Fashion-MNIST not installed (Debian package ${PACKAGE}): ` + `apt-get install ${PACKAGE}`;

declare module 'vitest' {
  interface TaskMeta {
    /** On a test file that skipped suites for want of a data set: the line summary-reporter.ts prints. */
    missingDataset?: string;
  }
}

/**
 * Whether the suites of this test file that read Fashion-MNIST must be skipped: use it as
 * `describe.skipIf(noFashionMnist)`. Call it once, at the top level of the test file. When the data
 * set is missing it marks the file so the run ends with FASHION_MNIST_NOTE; under
 * SCRUB_REQUIRE_DATASETS=1 it adds a test that fails with that message instead.
 */
export function withoutFashionMnist(): boolean {
  if (hasFashionMnist) return false;
  if (process.env[REQUIRE_DATASETS] === '1') {
    it(`has Fashion-MNIST (${PACKAGE})`, () => {
      throw new Error(
        `Fashion-MNIST not installed at ${FASHION_MNIST} (Debian package ${PACKAGE}), and ` +
          `${REQUIRE_DATASETS}=1 makes that a failure: apt-get install ${PACKAGE}`,
      );
    });
  } else {
    TestRunner.getCurrentSuite().file.meta.missingDataset = FASHION_MNIST_NOTE;
  }
  return true;
}
