// AdamW over Float32Array parameters, PyTorch semantics (torch.optim.AdamW, single-tensor path, as
// in 1.13 on the CPU):
//   w ← w·(1 − lr·wd)                       decoupled weight decay, before the Adam update
//   m ← β1·m + (1 − β1)·g
//   v ← β2·v + (1 − β2)·g²
//   w ← w − (lr / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + ε)
// Defaults β = (0.9, 0.999), ε = 1e-8, weight decay 0.01 (PyTorch's AdamW defaults).
//
// State precision:
//   'float32' (default): m and v are Float32Arrays like PyTorch's state for float32 parameters, and
//     every elementwise operation is rounded to float32 in PyTorch's order (scalars as Python
//     doubles rounded to float32 where PyTorch casts them). PyTorch's vectorised kernels may fuse a
//     multiply-add (FMA) where this rounds twice, so results can differ from PyTorch's in the last
//     bit; they are the same formula in the same precision.
//   'float64': m and v are Float64Arrays, the whole update is computed in float64 and only the new
//     weight is rounded to float32 (more accurate, not bit-comparable to PyTorch).

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  state?: 'float32' | 'float64';
}

type Moment = Float32Array | Float64Array;

export interface AdamWParamState {
  m: Moment;
  v: Moment;
}

const f = Math.fround;

export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly precision: 'float32' | 'float64';
  /** Steps taken so far (PyTorch's `state['step']`); the next step uses t = step + 1. */
  step = 0;
  readonly state = new Map<string, AdamWParamState>();

  constructor(opts: AdamWOptions = {}) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
    this.precision = opts.state ?? 'float32';
  }

  /**
   * One step at learning rate `lr`: updates every parameter in `params` in place with its gradient
   * in `grads` (same name, same length). All parameters share the step count, as in one PyTorch
   * param group whose parameters all receive gradients every step.
   */
  update(params: ReadonlyMap<string, Float32Array>, grads: ReadonlyMap<string, ArrayLike<number>>, lr: number): void {
    for (const [name, w] of params) {
      const g = grads.get(name);
      if (!g) throw new Error(`AdamW: no gradient for ${name}`);
      if (g.length !== w.length)
        throw new Error(`AdamW: gradient for ${name} has ${g.length} values, the parameter ${w.length}`);
    }
    this.step++;
    const t = this.step;
    for (const [name, w] of params) {
      let s = this.state.get(name);
      if (!s) {
        const make = () => (this.precision === 'float32' ? new Float32Array(w.length) : new Float64Array(w.length));
        s = { m: make(), v: make() };
        this.state.set(name, s);
      }
      if (this.precision === 'float32')
        this.step32(w, grads.get(name)!, s.m as Float32Array, s.v as Float32Array, lr, t);
      else this.step64(w, grads.get(name)!, s.m as Float64Array, s.v as Float64Array, lr, t);
    }
  }

  private step32(w: Float32Array, g: ArrayLike<number>, m: Float32Array, v: Float32Array, lr: number, t: number): void {
    // Python-side scalars (float64), then cast to float32 where a tensor op takes them.
    const decay = f(1 - lr * this.weightDecay);
    const b1 = f(this.beta1);
    const a1 = f(1 - this.beta1);
    const b2 = f(this.beta2);
    const a2 = f(1 - this.beta2);
    const bc1 = 1 - this.beta1 ** t;
    const bc2 = 1 - this.beta2 ** t;
    const stepSize = f(-(lr / bc1));
    const bc2Sqrt = f(Math.sqrt(bc2));
    const eps = f(this.eps);
    for (let i = 0; i < w.length; i++) {
      const gi = f(g[i]);
      const wi = f(w[i] * decay); // param.mul_(1 - lr * wd)
      const mi = f(f(m[i] * b1) + f(a1 * gi)); // exp_avg.mul_(β1).add_(g, alpha=1-β1)
      const vi = f(f(v[i] * b2) + f(f(a2 * gi) * gi)); // exp_avg_sq.mul_(β2).addcmul_(g, g, value=1-β2)
      const denom = f(f(f(Math.sqrt(vi)) / bc2Sqrt) + eps); // (v.sqrt() / sqrt(bc2)).add_(eps)
      m[i] = mi;
      v[i] = vi;
      w[i] = f(wi + f(f(stepSize * mi) / denom)); // param.addcdiv_(m, denom, value=-lr/bc1)
    }
  }

  private step64(w: Float32Array, g: ArrayLike<number>, m: Float64Array, v: Float64Array, lr: number, t: number): void {
    const decay = 1 - lr * this.weightDecay;
    const { beta1, beta2, eps } = this;
    const bc1 = 1 - beta1 ** t;
    const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
    const stepSize = lr / bc1;
    for (let i = 0; i < w.length; i++) {
      const gi = g[i];
      const mi = beta1 * m[i] + (1 - beta1) * gi;
      const vi = beta2 * v[i] + (1 - beta2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      w[i] = w[i] * decay - (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
    }
  }
}
