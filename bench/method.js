// A method of the table run on its own, as the API runs it but without the record's evaluation: open
// the run context, run, stage the weights, finish the report, commit. The bench times this.
import { RunContext } from '../dist/context/index.js';
import { methodNamed } from '../dist/methods/table.js';

export async function runMethod(name, options) {
  const method = methodNamed(name);
  const ctx = RunContext.open(options);
  try {
    const run = await method.run(ctx, { seed: 0, ...options });
    const report = await run.finish(ctx.stage(run.weights));
    ctx.commit();
    return report;
  } finally {
    await ctx.release();
  }
}
