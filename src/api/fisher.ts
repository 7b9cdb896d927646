import { refuseFolderAsOutput, refuseInputAsOutput } from '../core/atomic.js';
import { externalDataPathsOf } from '../graph/load.js';
import { BadInputError } from '../core/errors.js';
import type { CommonOptions } from '../context/index.js';
import { prepareOutputFolder } from '../context/run-context.js';
import { dirname } from 'node:path';
import {
  computeFisher,
  computeFisherPart,
  mergeFisherParts,
  parseShard,
  variantSpec,
  writeFisher,
  writeFisherPart,
  type FisherHeader,
} from '../methods/table.js';
import { REPORT_SCHEMA, type FisherReport } from './report.js';

export interface FisherOptions extends CommonOptions {
  model: string;
  train: string;
  /** The Fisher file (or, with `shard`, the part file) to write. */
  out: string;
  method?: 'ssd' | 'lf-ssd';
  /**
   * 'K/N' (K 0-based): compute only the K-th of N contiguous ranges of minibatches, into a part file for
   * mergeFisher.
   */
  shard?: string;
}

export interface MergeFisherOptions {
  /** Part files written with `shard`, one per K, in any order. */
  parts: readonly string[];
  out: string;
}

function report(
  out: string,
  header: FisherHeader | (Omit<FisherHeader, 'data'> & { data: Omit<FisherHeader['data'], 'digest'> }),
  extra: object | undefined = {},
): FisherReport {
  const { kind: fisherKind, ...rest } = header;
  return { schema: REPORT_SCHEMA, kind: 'fisher', fisher: out, fisherKind, ...rest, ...extra } as FisherReport;
}

/** The full-data importance of a model over its training data, written once to a Fisher file (or one shard of it). */
export async function fisher(o: FisherOptions): Promise<FisherReport> {
  const method = variantSpec(o.method);
  if (!method)
    throw new BadInputError(
      `method ${o.method}: expected ssd (squared gradients of the cross-entropy) or ` +
        'lf-ssd (|gradients| of the logit norm, no labels needed).',
    );
  refuseFolderAsOutput(o.out, 'the Fisher file');
  refuseInputAsOutput(o.out, [o.model, ...externalDataPathsOf(o.model), o.train, o.labels, o.tokenizer], '-o');
  // before the pass: -o's folder is created (or refused) now; a failed pass leaves no empty folder of ours
  const folder = prepareOutputFolder(dirname(o.out), '-o');
  try {
    if (o.shard !== undefined) {
      const part = await computeFisherPart({ ...o, method: method.name, shard: parseShard(o.shard) });
      o.signal?.throwIfAborted();
      writeFisherPart(o.out, part);
      return report(o.out, part.header, part.parallel && { parallel: part.parallel });
    }
    const f = await computeFisher({ ...o, method: method.name });
    o.signal?.throwIfAborted();
    writeFisher(o.out, f);
    return report(o.out, f.header, f.parallel && { parallel: f.parallel });
  } finally {
    folder.removeIfEmpty();
  }
}

/**
 * Adds the parts of a sharded pass into the file the single pass writes; refuses gaps, overlaps and mismatched
 * parts.
 */
export async function mergeFisher(o: MergeFisherOptions): Promise<FisherReport> {
  refuseFolderAsOutput(o.out, 'the Fisher file');
  refuseInputAsOutput(o.out, o.parts, '-o');
  const f = mergeFisherParts(o.parts);
  prepareOutputFolder(dirname(o.out), '-o');
  writeFisher(o.out, f);
  return report(o.out, f.header, { parts: [...o.parts] });
}
