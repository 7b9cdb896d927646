// The ∇τ objective  α·relu(L_val − L_forget)² + (1 − α)·L_retain  and its gradient from the forget
// batch's and the retain batch's mean-cross-entropy gradients:
//   ∂/∂w = −2α·relu(L_val − L_f)·∂L_f/∂w + (1 − α)·∂L_r/∂w
// The relu's derivative at 0 is 0 (PyTorch's); there the forget term is zero either way.

export interface ObjectiveTerms {
  alpha: number;
  lVal: number;
  lForget: number;
  lRetain: number;
}

/** The loss value the reference minimises (float64). */
export function objectiveValue({ alpha, lVal, lForget, lRetain }: ObjectiveTerms): number {
  const gap = Math.max(0, lVal - lForget);
  return alpha * gap * gap + (1 - alpha) * lRetain;
}

/** The scalar weights of the two gradients: g = forget·g_f + retain·g_r. */
export function objectiveCoefficients({ alpha, lVal, lForget }: Omit<ObjectiveTerms, 'lRetain'>): {
  forget: number;
  retain: number;
} {
  const gap = lVal - lForget > 0 ? lVal - lForget : 0;
  return { forget: gap === 0 ? 0 : -2 * alpha * gap, retain: 1 - alpha };
}

/** g = −2α·relu(L_val − L_f)·g_f + (1 − α)·g_r, elementwise, for one parameter. */
export function combineGradient(
  gForget: ArrayLike<number>,
  gRetain: ArrayLike<number>,
  terms: Omit<ObjectiveTerms, 'lRetain'>,
  out?: Float32Array,
): Float32Array {
  if (gForget.length !== gRetain.length)
    throw new Error(`combineGradient: ${gForget.length} forget values, ${gRetain.length} retain values`);
  const r = out ?? new Float32Array(gForget.length);
  const { forget, retain } = objectiveCoefficients(terms);
  if (forget === 0) for (let i = 0; i < r.length; i++) r[i] = retain * gRetain[i];
  else for (let i = 0; i < r.length; i++) r[i] = forget * gForget[i] + retain * gRetain[i];
  return r;
}

/** combineGradient for every parameter of two gradient maps (same names). */
export function combineGradients(
  gForget: ReadonlyMap<string, ArrayLike<number>>,
  gRetain: ReadonlyMap<string, ArrayLike<number>>,
  terms: Omit<ObjectiveTerms, 'lRetain'>,
): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [name, gf] of gForget) {
    const gr = gRetain.get(name);
    if (!gr) throw new Error(`combineGradients: no retain gradient for ${name}`);
    out.set(name, combineGradient(gf, gr, terms));
  }
  return out;
}
