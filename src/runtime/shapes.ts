// Shapes and element types of every value of a model, found by running it twice at different
// sizes of its symbolic dimensions: a dimension that differs between the runs is dynamic (null).
import { encodeModel } from '../graph/encode.js';
import type { ShapeMap } from '../core/tensor.js';
import { DataType, DTYPE_NAMES, inlineInitializers, type Dim, type Model, type ValueInfo } from '../graph/ir.js';
import { Session, type Feeds, type HostTensor } from './session.js';
import { UnsupportedModelError } from '../core/errors.js';

export type { ShapeMap, ValueShape } from '../core/tensor.js';

const ORT_TO_ONNX: Record<string, number> = {
  Float32Array: DataType.FLOAT,
  Float64Array: DataType.DOUBLE,
  BigInt64Array: DataType.INT64,
  Int32Array: DataType.INT32,
  Uint8Array: DataType.BOOL,
  Int8Array: DataType.INT8,
  Uint16Array: DataType.FLOAT16,
};

/** What a shape probe found: every value's shape, and the batch the model runs at where it is fixed. */
export interface Probe {
  shapes: ShapeMap;
  /**
   * Set where the model runs at one batch size only although its inputs declare a symbolic batch
   * (a Reshape to a constant traced at that size): the size, and ONNX Runtime's message at batch 2.
   */
  traced?: { batch: number; why: string };
}

const probes = new WeakMap<Model, Promise<Probe>>();

/** probeModel's shapes. */
export async function probeShapes(model: Model): Promise<ShapeMap> {
  return (await probeModel(model)).shapes;
}

/**
 * Shapes and element types of every value of `model`, from two runs with its symbolic dimensions set
 * to 2 and then 3 (a dimension that differs between them is dynamic: null). A model that fails there
 * but runs with its symbolic batch (dimension 0 of the inputs) at 1 was traced at batch 1: its inputs'
 * batch is reported fixed at 1 (`traced`). Cached per model object. Throws UnsupportedModelError, with
 * ONNX Runtime's message, for a model that runs at neither.
 */
export function probeModel(model: Model): Promise<Probe> {
  let p = probes.get(model);
  if (!p) {
    p = runProbe(model);
    probes.set(model, p);
  }
  return p;
}

/**
 * Gives `edited`, a model whose graph is `original`'s with other initializer values (a staged edit of
 * its weights), `original`'s probe instead of running its own (resnet18: 0.7 s): shapes do not depend on
 * the weights. Where the graphs differ in their nodes, inputs, outputs or initializers' types and dims,
 * `edited` keeps its own probe. Returns whether it shares.
 */
export function shareProbe(edited: Model, original: Model): boolean {
  if (edited === original || probes.has(edited) || structure(edited) !== structure(original)) return false;
  probes.set(edited, probeModel(original));
  return true;
}

/**
 * A model's graph without its initializers' values: opsets, inputs, outputs, nodes (attributes by value,
 * a tensor attribute's bytes by their count) and the initializers' names, types and dims.
 */
function structure(m: Model): string {
  const g = m.graph;
  const values = (v: ValueInfo[]) => v.map((x) => [x.name, x.elemType, x.shape]);
  return JSON.stringify(
    [
      m.irVersion,
      [...m.opsetImports],
      values(g.inputs),
      values(g.outputs),
      g.nodes.map((n) => [n.domain, n.opType, n.inputs, n.outputs, n.attrs]),
      [...g.initializers.values()].map((t) => [t.name, t.dataType, t.dims]),
    ],
    (_, v: unknown) => (ArrayBuffer.isView(v) ? v.byteLength : v),
  );
}

async function runProbe(model: Model): Promise<Probe> {
  const g = model.graph;
  const initNames = new Set(g.initializers.keys());
  const realInputs = g.inputs.filter((i) => !initNames.has(i.name));
  const outputs: ValueInfo[] = [];
  const seen = new Set<string>();
  for (const n of g.nodes)
    for (const o of n.outputs)
      if (o && !seen.has(o)) {
        seen.add(o);
        outputs.push({ name: o, elemType: 0, shape: null });
      }
  const bytes = encodeModel({
    irVersion: model.irVersion,
    opsetImports: model.opsetImports,
    graph: { ...g, outputs, initializers: inlineInitializers(g) },
  });
  const twice = (inputs: ValueInfo[]) => [2, 3].map((size) => probeFeeds(model.path, inputs, size));
  const feeds = twice(realInputs); // (refuses an input without a shape or of a dtype scrub cannot feed)
  const session = await Session.create(bytes, { threads: 1, source: model.path });
  try {
    let inputs = realInputs;
    let traced: Probe['traced'];
    let runs: Record<string, HostTensor>[];
    try {
      runs = [await probe(session, feeds[0]), await probe(session, feeds[1])];
    } catch (e) {
      const why = (e as Error).message;
      const batched = realInputs.some((i) => i.shape && i.shape.length > 0 && typeof i.shape[0] !== 'number');
      if (!batched) throw refusal(model.path, `with its symbolic dimensions set to 2 and 3 (${why})`);
      // traced at batch 1? The batch fixed at 1, the other symbolic dimensions still probed at 2 and 3
      inputs = realInputs.map((i) => (i.shape?.length ? { ...i, shape: [1, ...i.shape.slice(1)] } : i));
      const again = twice(inputs);
      try {
        runs = [await probe(session, again[0]), await probe(session, again[1])];
      } catch (e2) {
        throw refusal(
          model.path,
          `at batch 2 (${why}), nor at batch 1 (${(e2 as Error).message})`,
          ' Re-export it traced with a batch of 2 or more and a dynamic batch axis (torch.onnx.export dynamic_axes).',
        );
      }
      traced = { batch: 1, why };
    }
    const shapes: ShapeMap = new Map();
    for (const i of inputs)
      shapes.set(i.name, { dtype: i.elemType, dims: i.shape!.map((d) => (typeof d === 'number' ? d : null)) });
    for (const t of g.initializers.values()) shapes.set(t.name, { dtype: t.dataType, dims: [...t.dims] });
    const [a, b] = runs;
    for (const [name, ta] of Object.entries(a)) {
      const tb = b[name];
      shapes.set(name, { dtype: ORT_TO_ONNX[ta.data.constructor.name] ?? 0, dims: mergeDims(ta, tb) });
    }
    return traced ? { shapes, traced } : { shapes };
  } finally {
    await session.release();
  }
}

function refusal(path: string, how: string, advice = ' Re-export it with dynamic axes only where sizes may vary.') {
  return new UnsupportedModelError(`${path}: its shapes cannot be probed: it does not run ${how}.${advice}`);
}

function mergeDims(a: HostTensor, b: HostTensor): Dim[] {
  if (a.dims.length !== b.dims.length) return a.dims.map(() => null);
  return a.dims.map((d, i) => (d === b.dims[i] ? d : null));
}

/** One run on made-up inputs; an Error with ONNX Runtime's first line where it fails on them. */
async function probe(session: Session, feeds: Feeds): Promise<Record<string, HostTensor>> {
  try {
    return await session.run(feeds);
  } catch (e) {
    const why = ((e as Error).cause as Error | undefined)?.message ?? (e as Error).message;
    throw new Error(why.split('\n')[0], { cause: e });
  }
}

function probeFeeds(path: string, inputs: ValueInfo[], size: number): Feeds {
  const feeds: Feeds = {};
  for (const i of inputs) {
    if (!i.shape)
      throw new UnsupportedModelError(
        `${path}: input ${i.name} has no declared shape; re-export the model with input shapes.`,
      );
    const dims = i.shape.map((d) => (typeof d === 'number' ? d : size));
    const n = dims.reduce((x, y) => x * y, 1);
    switch (i.elemType) {
      case DataType.FLOAT: {
        const data = new Float32Array(n);
        for (let k = 0; k < n; k++) data[k] = Math.sin(k * 12.9898) * 0.5;
        feeds[i.name] = { data, dims };
        break;
      }
      case DataType.INT64:
        feeds[i.name] = { data: new BigInt64Array(n), dims };
        break;
      case DataType.INT32:
        feeds[i.name] = { data: new Int32Array(n), dims };
        break;
      case DataType.BOOL:
        feeds[i.name] = { data: new Uint8Array(n).fill(1), dims };
        break;
      default:
        throw new UnsupportedModelError(
          `${path}: input ${i.name} is ${DTYPE_NAMES[i.elemType] ?? i.elemType}; scrub feeds float32, int64, int32 ` +
            'or bool inputs. Re-export the model with one of them.',
        );
    }
  }
  return feeds;
}
