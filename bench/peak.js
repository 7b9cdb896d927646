// Where a speed target is out of reach: the forward pass's share of this host's attainable peak.
// Peak: ONNX Runtime's own single-threaded float32 MatMul of 1024×1024 by 1024×1024 (MLAS's SGEMM, the
// kernel every Conv and Gemm here ends in). A model's forward FLOPs per example: 2·MACs of its Conv,
// ConvTranspose, Gemm and MatMul nodes, from the shapes the probe measures (elementwise ops left out).
import { DataType } from '../dist/graph/ir.js';
import { encodeModel } from '../dist/graph/encode.js';
import { loadModel } from '../dist/graph/load.js';
import { probeShapes } from '../dist/runtime/shapes.js';
import { Session } from '../dist/runtime/session.js';

const N = 1024;

/** GFLOP/s of one-threaded MatMul [N, N] × [N, N] (its product summed): best of 5 timed runs after 2 warm-ups. */
export async function matmulPeak() {
  const bytes = encodeModel({
    opsetImports: new Map([['', 17]]),
    graph: {
      name: 'peak',
      // summed to one number: a 4 MB output would be copied into a fresh buffer at every run, whose page
      // faults (about 11 µs a page on this project's VM) took longer than the product itself
      nodes: [
        { name: 'mm', opType: 'MatMul', domain: '', inputs: ['a', 'b'], outputs: ['c'], attrs: {} },
        { name: 'sum', opType: 'ReduceSum', domain: '', inputs: ['c'], outputs: ['s'], attrs: {} },
      ],
      inputs: ['a', 'b'].map((name) => ({ name, elemType: DataType.FLOAT, shape: [N, N] })),
      outputs: [{ name: 's', elemType: DataType.FLOAT, shape: [1, 1] }],
      initializers: new Map(),
      valueInfo: new Map(),
    },
  });
  const s = await Session.create(bytes, { threads: 1 });
  const t = { data: Float32Array.from({ length: N * N }, (_, i) => (i % 7) * 0.1), dims: [N, N] };
  let best = Infinity;
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    await s.run({ a: t, b: t });
    if (i >= 2) best = Math.min(best, performance.now() - t0);
  }
  await s.release();
  return (2 * N ** 3) / (best / 1000) / 1e9;
}

const prod = (dims) => dims.reduce((a, b) => a * b, 1);

/** Forward FLOPs per example of the model at `path` (2·MACs of its matrix-product nodes). */
export async function forwardFlops(path) {
  const model = loadModel(path);
  const shapes = await probeShapes(model);
  const dims = (name) => {
    const s = shapes.get(name)?.dims ?? model.graph.initializers.get(name)?.dims;
    return s?.map((d) => (typeof d === 'number' ? d : 1));
  };
  // shapes were probed at a batch of 2 or 3 where the batch is symbolic: per example, divide by dim 0
  let flops = 0;
  for (const n of model.graph.nodes) {
    if (n.opType === 'Conv' || n.opType === 'ConvTranspose') {
      const w = dims(n.inputs[1]);
      const y = dims(n.outputs[0]);
      const x = dims(n.inputs[0]);
      if (!w || !y || !x) continue;
      // Conv: every output element takes Cin/group · kernel MACs; ConvTranspose: every input element
      const perOut = n.opType === 'Conv' ? prod(w.slice(1)) : prod(w.slice(1)) * w[0];
      flops += (2 * (n.opType === 'Conv' ? prod(y) * perOut : (prod(x) / x[1]) * perOut)) / y[0];
    } else if (n.opType === 'Gemm' || n.opType === 'MatMul') {
      const a = dims(n.inputs[0]);
      const y = dims(n.outputs[0]);
      if (!a || !y) continue;
      const k = n.opType === 'Gemm' && n.attrs.transA ? a[0] : a[a.length - 1];
      flops += (2 * prod(y) * k) / (n.opType === 'Gemm' || a.length > 1 ? y[0] : 1);
    }
  }
  return flops;
}

/** Prints and returns the forward pass's share of the peak for each model measured in the grad section. */
export async function benchPeak(models, measured) {
  const peak = await matmulPeak();
  const head = `ONNX Runtime MatMul ${N}³, 1 thread: ${peak.toFixed(1)} GFLOP/s`;
  console.log(`\nforward pass against this host's peak (${head})`);
  console.log('model      MFLOP/example  forward/s (1 thread)  achieved GFLOP/s  share of peak');
  const out = { peak_gflops: peak, models: {} };
  for (const [name, path] of models) {
    const fwd = measured[name]?.threads1?.forward_samples_per_s;
    if (!fwd) continue;
    const f = await forwardFlops(path);
    const achieved = (f * fwd) / 1e9;
    out.models[name] = { mflop_per_example: f / 1e6, achieved_gflops: achieved, share: achieved / peak };
    console.log(
      `${name.padEnd(9)} ${(f / 1e6).toFixed(1).padStart(14)} ${fwd.toFixed(0).padStart(21)} ` +
        `${achieved.toFixed(1).padStart(17)} ${((100 * achieved) / peak).toFixed(0).padStart(13)}%`,
    );
  }
  return out;
}
