import { inspectModel } from '../context/inspect.js';
import { REPORT_SCHEMA, type InspectReport } from './report.js';

export interface InspectOptions {
  model: string;
  /** The output holding the class scores (--output; default: found from the model). */
  output?: string;
  /** The head is multi-label (--multi-label; graph/head.ts). */
  multiLabel?: boolean;
}

/** Opset, ops, trainable parameters (with PyTorch names) and gradient coverage of a model. */
export async function inspect(o: InspectOptions): Promise<InspectReport> {
  return {
    schema: REPORT_SCHEMA,
    kind: 'inspect',
    ...(await inspectModel(o.model, { output: o.output, multiLabel: o.multiLabel })),
  };
}
