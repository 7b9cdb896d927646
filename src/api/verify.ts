import { verify as verifyRecord } from '../record/verify.js';
import { REPORT_SCHEMA, type VerifyReport } from './report.js';

export interface VerifyOptions {
  model: string;
  record: string;
}

/** Re-hashes a model and its tensors against its record; `ok` is false and `problems` name every mismatch. */
export async function verify(o: VerifyOptions): Promise<VerifyReport> {
  return {
    schema: REPORT_SCHEMA,
    kind: 'verify',
    model: o.model,
    record: o.record,
    ...verifyRecord(o.model, o.record),
  };
}
