import { inspectModel } from '../context/inspect.js';
import { REPORT_SCHEMA, type InspectReport } from './report.js';

export interface InspectOptions {
  model: string;
  /** The output holding the class scores (--output; default: found from the model). */
  output?: string;
}

/** Opset, ops, trainable parameters (with PyTorch names) and gradient coverage of a model. */
export async function inspect(o: InspectOptions): Promise<InspectReport> {
  return { schema: REPORT_SCHEMA, kind: 'inspect', ...(await inspectModel(o.model, o.output)) };
}
