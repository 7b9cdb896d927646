// Issue 20's speed aims, as this run measured them: each figure beside its aim, met or the gap. Only
// the sections that ran are summed up (`node bench/run.js grad ssd gradtau` gives every line).

const ok = (met) => (met ? 'met' : 'GAP');

/**
 * Prints one line per aim from the run's results (bench/run.js `results`) and returns them as data:
 * { aim, value, met }. Sections that did not run give no line.
 */
export function printAims(results) {
  const lines = [];
  const add = (aim, value, met, detail) => lines.push({ aim, value, met, detail });
  const m = results.models ?? {};
  const r18 = m.resnet18;
  if (r18?.vs_torch?.built_in_this_run !== undefined)
    add(
      'resnet18 gradient pass at least PyTorch’s (best thread count of each, this run)',
      r18.vs_torch.built_in_this_run,
      r18.vs_torch.built_in_this_run >= 1,
      `${r18.vs_torch.built_in_this_run.toFixed(2)}x with the weights built in, ` +
        `${r18.vs_torch.this_run?.toFixed(2) ?? '—'}x fed`,
    );
  for (const [name, limit] of [
    ['resnet18', 3.5],
    ['cnn', 4],
  ]) {
    const t = m[name];
    if (!t?.threads1) continue;
    const best = Math.min(t.threads1.frozen_grad_over_forward_time, t.threads2.frozen_grad_over_forward_time);
    const fed = Math.min(t.threads1.grad_over_forward_time, t.threads2.grad_over_forward_time);
    add(
      `${name} gradient/forward time at most ${limit}x`,
      best,
      best <= limit,
      `${best.toFixed(2)}x with the weights built in, ${fed.toFixed(2)}x fed`,
    );
  }
  const g = results.gradtau;
  if (g) {
    const rows = Object.entries(g).filter(([k, v]) => /^(mlp|cnn)\.[^.]+\.default$/.test(k) && v.retrain_seconds);
    if (rows.length) {
      const ratios = rows.map(([k, v]) => [
        k.replace('.default', ''),
        (v.load + v.run) / v.retrain_seconds,
        v.accepted,
      ]);
      const worst = Math.max(...ratios.map(([, r]) => r));
      const allAccepted = ratios.every(([, , a]) => a);
      add(
        '∇τ default at most 0.3 of report.json’s retraining on every mlp and cnn scenario, acceptance kept',
        worst,
        worst <= 0.3 && allAccepted,
        ratios.map(([k, r, a]) => `${k} ${r.toFixed(2)}${a ? '' : ' (acceptance NO)'}`).join(', '),
      );
    }
  }
  const s = results.ssd;
  if (s)
    for (const name of ['cnn', 'vit']) {
      const r = s[name];
      if (!r?.request_seconds) continue;
      const ratio = r.reference_seconds / r.request_seconds;
      const again = (r.full_seconds + r.request_again_seconds) / r.request_again_seconds;
      add(
        `${name} SSD per request at least 10x faster than the reference procedure`,
        ratio,
        ratio >= 10,
        `${ratio.toFixed(1)}x (the request again in the process ${again.toFixed(1)}x; class0's bound ` +
          `1 + 55,000 / 5,479 = 11.0x)`,
      );
    }
  if (!lines.length) return lines;
  console.log('\nissue 20’s aims in this run:');
  for (const l of lines) console.log(`  ${ok(l.met).padEnd(4)} ${l.aim}: ${l.detail}`);
  console.log(
    '  (the CUDA provider is checked only where a GPU is lent; where a figure falls short, README "Measured" ' +
      'gives the limit measured)',
  );
  return lines;
}
