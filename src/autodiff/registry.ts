// Gradient rules keyed by domain, op type and the opset version they apply from.
import type { Dim, Node } from '../graph/ir.js';
import type { GraphBuilder } from './builder.js';

export interface GradContext {
  readonly node: Node;
  /** Version of the node's domain in the model. */
  readonly opset: number;
  readonly b: GraphBuilder;
  /** Name of forward input i ('' when absent). */
  x(i: number): string;
  /** Name of forward output i. */
  y(i: number): string;
  /** Gradient flowing into output i, or null where none flows (zero). */
  dy(i: number): string | null;
  /** Whether input i needs a gradient. */
  needs(i: number): boolean;
  /** Static shape of a forward value (null dims vary with the batch). */
  shape(name: string): Dim[];
  /** ONNX element type of a forward value. */
  dtype(name: string): number;
  /** Value of a constant (initializer or Constant node), or undefined when it is computed. */
  constant(name: string): number[] | undefined;
  /** Sums a gradient shaped like `from` down to the shape of forward value `to` (broadcasting's adjoint). */
  reduceTo(grad: string, from: Dim[], to: string): string;
}

/** Returns, per forward input, the name of its gradient, or null/undefined for none. */
export type GradFn = (ctx: GradContext) => (string | null | undefined)[];

export interface GradRule {
  opType: string;
  domain?: string;
  /** First opset version of the op's form this rule handles. */
  since: number;
  grad: GradFn;
}

export class RuleRegistry {
  private rules = new Map<string, GradRule[]>();

  add(...rules: GradRule[]): this {
    for (const r of rules) {
      const key = `${r.domain ?? ''}:${r.opType}`;
      const list = this.rules.get(key) ?? [];
      if (list.some((x) => x.since === r.since)) throw new Error(`duplicate gradient rule for ${key} since ${r.since}`);
      list.push(r);
      list.sort((a, b) => b.since - a.since);
      this.rules.set(key, list);
    }
    return this;
  }

  /** The rule for the newest form of the op at or below the given opset. */
  find(domain: string, opType: string, opset: number): GradRule | undefined {
    return this.rules.get(`${domain}:${opType}`)?.find((r) => r.since <= opset);
  }

  list(): GradRule[] {
    return [...this.rules.values()].flat();
  }
}

/** Ops whose outputs carry no gradient (shape computations, comparisons, index ops). */
export const NON_DIFFERENTIABLE = new Set([
  'Shape',
  'Size',
  'ConstantOfShape',
  'Constant',
  'Equal',
  'Less',
  'LessOrEqual',
  'Greater',
  'GreaterOrEqual',
  'Not',
  'And',
  'Or',
  'Xor',
  'Range',
  'ArgMax',
  'ArgMin',
  'NonZero',
  'Floor',
  'Ceil',
  'Round',
  'Sign',
  'IsNaN',
  'IsInf',
  'OneHot',
  'RandomNormal',
  'RandomUniform',
  'RandomNormalLike',
  'RandomUniformLike',
  'Bernoulli',
  'EyeLike',
]);
