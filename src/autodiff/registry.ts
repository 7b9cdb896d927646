// Gradient rules keyed by domain, op type and the opset version they apply from. Ops whose outputs carry
// no gradient are entries of the same registry (noGradient), so one lookup tells the engine both.
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
  /**
   * Sums a gradient shaped like `from` down to the shape of forward value `to` (broadcasting's adjoint).
   * Rules of broadcasting ops declare `broadcast` instead; this serves gradients of other shapes (Expand).
   */
  reduceTo(grad: string, from: Dim[], to: string): string;
}

/** Returns, per forward input, the name of its gradient, or null/undefined for none. */
export type GradFn = (ctx: GradContext) => (string | null | undefined)[];

/** The gradient of one form of an op. */
export interface GradRule {
  opType: string;
  domain?: string;
  /** First opset version of the op's form this rule handles. */
  since: number;
  /**
   * Inputs (true: all) whose gradient `grad` returns in the shape of output 0, the shape the inputs
   * broadcast to: the engine sums each down to its input's shape (numpy broadcasting's adjoint).
   */
  broadcast?: true | readonly number[];
  grad: GradFn;
  nonDifferentiable?: false;
}

/** An op whose outputs carry no gradient (shape computations, comparisons, rounding, index ops, sampling). */
export interface NoGradientRule {
  opType: string;
  domain?: string;
  /** First opset version at which the op exists. */
  since: number;
  nonDifferentiable: true;
}

/** A registry entry: how gradient flows back through one form of an op, or that none does. */
export type Rule = GradRule | NoGradientRule;

/** The entry of an op whose outputs carry no gradient, from the opset where the op first exists. */
export function noGradient(opType: string, since: number, domain?: string): NoGradientRule {
  return domain ? { opType, domain, since, nonDifferentiable: true } : { opType, since, nonDifferentiable: true };
}

/** Whether gradient rule `rule` sums input i's gradient down from output 0's broadcast shape. */
export function broadcastsInput(rule: GradRule, i: number): boolean {
  return rule.broadcast === true || (rule.broadcast?.includes(i) ?? false);
}

export class RuleRegistry {
  private rules = new Map<string, Rule[]>();

  add(...rules: Rule[]): this {
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

  /** The entry for the newest form of the op at or below the given opset (undefined: no rule). */
  find(domain: string, opType: string, opset: number): Rule | undefined {
    return this.rules.get(`${domain}:${opType}`)?.find((r) => r.since <= opset);
  }

  /**
   * Whether gradient flows through the op's outputs: false only for a noGradient entry. An op without
   * any entry counts as differentiable, so that the engine names it as missing a rule.
   */
  carriesGradient(domain: string, opType: string, opset: number): boolean {
    return !this.find(domain, opType, opset)?.nonDifferentiable;
  }

  list(): Rule[] {
    return [...this.rules.values()].flat();
  }
}
