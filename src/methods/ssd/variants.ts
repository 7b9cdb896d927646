// The two dampening methods. Both select and dampen alike (dampen.ts); they differ in the
// importance they compare, the mean over minibatches of an elementwise function of the gradient:
//   ssd     g² of the mean cross-entropy: the diagonal Fisher (Foster et al., AAAI 2024); needs labels
//   lf-ssd  |g| of the mean squared L2 norm of the logits (Foster et al., "Loss-Free Machine
//           Unlearning", 2024); needs no labels
import { accumulateAbs, accumulateSquares } from './dampen.js';
import { besideModel } from '../../core/paths.js';

export type Variant = 'ssd' | 'lf-ssd';

/** The kind of importance a Fisher file holds (fisher-file.ts): one per variant. */
export type FisherKind = 'ssd-importance' | 'lf-ssd-importance';

/** What to do with a set without labels where SSD would need them. */
export const NO_LABELS_REMEDY = 'Use --method lf-ssd, which needs none.';

export interface VariantSpec {
  name: Variant;
  /** For people: 'SSD', 'LF-SSD'. */
  title: string;
  /** The loss whose gradient the importance is taken of (autodiff/losses). */
  loss: 'cross-entropy' | 'logit-norm';
  accumulate: (acc: Float64Array, g: Float32Array) => void;
  fisherKind: FisherKind;
  /** The Fisher file looked for beside MODEL.onnx when neither --fisher nor --train is given. */
  besideSuffix: string;
  /** The `scrub fisher` options that make this method's Fisher file. */
  fisherFlags: string;
}

export const VARIANTS: Readonly<Record<Variant, VariantSpec>> = {
  ssd: {
    name: 'ssd',
    title: 'SSD',
    loss: 'cross-entropy',
    accumulate: accumulateSquares,
    fisherKind: 'ssd-importance',
    besideSuffix: '.fisher',
    fisherFlags: '',
  },
  'lf-ssd': {
    name: 'lf-ssd',
    title: 'LF-SSD',
    loss: 'logit-norm',
    accumulate: accumulateAbs,
    fisherKind: 'lf-ssd-importance',
    besideSuffix: '.lf-ssd.fisher',
    fisherFlags: ' --method lf-ssd',
  },
};

/** Where a variant's Fisher file is looked for beside a model: MODEL.onnx → MODEL.fisher, MODEL.lf-ssd.fisher. */
export function fisherBeside(model: string, variant: VariantSpec): string {
  return besideModel(model, variant.besideSuffix);
}

/** The variant of a --method value; undefined means SSD. */
export function variantSpec(name: string | undefined): VariantSpec | undefined {
  return Object.hasOwn(VARIANTS, name ?? 'ssd') ? VARIANTS[(name ?? 'ssd') as Variant] : undefined;
}

/** The variant whose importance a gradient model of this loss computes. */
export function variantOfLoss(loss: string): VariantSpec {
  return loss === 'logit-norm' ? VARIANTS['lf-ssd'] : VARIANTS.ssd;
}
