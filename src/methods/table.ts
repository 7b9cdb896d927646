// The method table: every unlearning method scrub runs, one row each, and the only module that
// imports the methods' folders. The API runs a row; the CLI builds its flags, usage and help from the
// rows; the request schema's method options and the report schema's method sections come from them
// (api/schema.ts). A new method is a folder exporting an UnlearningMethod and one line below.
import { UnsupportedModelError } from '../core/errors.js';
import type { Head, HeadKind } from '../graph/head.js';
import { SINGLE_LABEL_HEADS } from './types.js';
import { BadInputError } from '../core/errors.js';
import { finetune } from './finetune/index.js';
import { gradtau } from './gradtau/index.js';
import { lfSsd, ssd } from './ssd/index.js';
import type { MethodOption, MethodReport, UnlearningMethod } from './types.js';

export const METHODS: readonly UnlearningMethod<MethodReport>[] = [
  ssd,
  lfSsd,
  gradtau,
  finetune,
] as unknown as readonly UnlearningMethod<MethodReport>[];

/** The default method (no --method). */
export const DEFAULT_METHOD = 'ssd';

export const METHOD_NAMES: readonly string[] = METHODS.map((m) => m.name);

/** The row of `name` (default SSD); a BadInputError lists the methods. */
export function methodNamed(name: string | undefined): UnlearningMethod<MethodReport> {
  const m = METHODS.find((x) => x.name === (name ?? DEFAULT_METHOD));
  if (!m) throw new BadInputError(`--method ${name}: this scrub implements ${methodList()}.`);
  return m;
}

/** 'ssd, lf-ssd (label-free SSD, …) and gradtau, and the baseline finetune': the table in words. */
export function methodList(): string {
  const words = (ms: readonly UnlearningMethod<MethodReport>[]) => {
    const names = ms.map((m) => (m.brief ? `${m.name} (${m.brief})` : m.name));
    return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : (names[0] ?? '');
  };
  const baselines = METHODS.filter((m) => m.baseline);
  const plural = baselines.length > 1 ? 's' : '';
  const methods = words(METHODS.filter((m) => !m.baseline));
  return `${methods}${baselines.length ? `, and the baseline${plural} ${words(baselines)}` : ''}`;
}

/** Every method option once (methods may share one, e.g. SSD and LF-SSD), in table order. */
export function methodOptions(): MethodOption[] {
  const seen = new Map<string, MethodOption>();
  for (const m of METHODS) for (const o of m.options) if (!seen.has(o.key)) seen.set(o.key, o);
  return [...seen.values()];
}

/** The methods that take option `key`. */
export function methodsTaking(key: string): string[] {
  return METHODS.filter((m) => m.options.some((o) => o.key === key)).map((m) => m.name);
}

export type { GradTauReport } from './gradtau/index.js';
export type { FinetuneReport } from './finetune/index.js';
export type { DampeningReport, LfSsdReport, SsdReport } from './ssd/index.js';
export type { MethodInputs, MethodOption, MethodReport, RecordMethod, UnlearningMethod } from './types.js';

/** The methods that handle a head of this kind (UnlearningMethod.heads); every method takes any number of inputs. */
export function methodsForHead(kind: HeadKind): string[] {
  return METHODS.filter((m) => (m.heads ?? SINGLE_LABEL_HEADS).includes(kind)).map((m) => m.name);
}

/** Throws UnsupportedModelError, before any pass, where `method` does not handle the head `head`. */
export function requireHead(method: UnlearningMethod<MethodReport>, head: Head, source: string): void {
  if ((method.heads ?? SINGLE_LABEL_HEADS).includes(head.kind)) return;
  throw new UnsupportedModelError(
    `${source}: output ${head.output} is a ${head.kind} head, which --method ${method.name} does not handle; ` +
      `use --method ${methodsForHead(head.kind).join(' or ')}.`,
  );
}
// The dampening methods' importance pass, behind `scrub fisher` (and its shards and merge).
export {
  computeFisher,
  computeFisherPart,
  mergeFisherParts,
  parseShard,
  batchSpan,
  readFisher,
  SSD_BATCH,
  variantSpec,
  VARIANTS,
  fisherBeside,
  writeFisher,
  writeFisherPart,
  type FisherHeader,
  type FisherPassOptions,
  type FisherShard,
  type Variant,
} from './ssd/index.js';
