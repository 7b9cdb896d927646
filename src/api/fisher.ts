import { ScrubError } from '../errors.js';
import { writeFisher } from '../ssd/fisher-file.js';
import { methodSpec } from '../ssd/method.js';
import { computeFisher, type CommonOptions } from '../ssd/run.js';
import { REPORT_SCHEMA, type FisherReport } from './report.js';

export interface FisherOptions extends Omit<CommonOptions, 'keepStaged'> {
  model: string;
  train: string;
  /** The Fisher file to write. */
  out: string;
  method?: 'ssd' | 'lf-ssd';
}

/** The full-data importance of a model over its training data, written once to a Fisher file. */
export async function fisher(o: FisherOptions): Promise<FisherReport> {
  const method = methodSpec(o.method);
  if (!method) throw new ScrubError(`method ${o.method}: expected ssd (squared gradients of the cross-entropy) or lf-ssd (|gradients| of the logit norm, no labels needed).`);
  const f = await computeFisher({ ...o, method: method.name });
  o.signal?.throwIfAborted();
  writeFisher(o.out, f);
  const { kind: fisherKind, ...header } = f.header;
  return { schema: REPORT_SCHEMA, kind: 'fisher', fisher: o.out, fisherKind, ...header };
}
