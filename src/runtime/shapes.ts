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

export async function probeShapes(model: Model): Promise<ShapeMap> {
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
  const feeds = [2, 3].map((size) => probeFeeds(model.path, realInputs, size));
  const session = await Session.create(bytes, { threads: 1, source: model.path });
  try {
    const a = await probe(session, feeds[0], model.path);
    const b = await probe(session, feeds[1], model.path);
    const shapes: ShapeMap = new Map();
    for (const i of realInputs)
      shapes.set(i.name, { dtype: i.elemType, dims: i.shape!.map((d) => (typeof d === 'number' ? d : null)) });
    for (const t of g.initializers.values()) shapes.set(t.name, { dtype: t.dataType, dims: [...t.dims] });
    for (const [name, ta] of Object.entries(a)) {
      const tb = b[name];
      shapes.set(name, { dtype: ORT_TO_ONNX[ta.data.constructor.name] ?? 0, dims: mergeDims(ta, tb) });
    }
    return shapes;
  } finally {
    await session.release();
  }
}

function mergeDims(a: HostTensor, b: HostTensor): Dim[] {
  if (a.dims.length !== b.dims.length) return a.dims.map(() => null);
  return a.dims.map((d, i) => (d === b.dims[i] ? d : null));
}

/** One run on made-up inputs; a model that fails on them cannot be probed (fixed sizes inside it). */
async function probe(session: Session, feeds: Feeds, path: string): Promise<Record<string, HostTensor>> {
  try {
    return await session.run(feeds);
  } catch (e) {
    const why = ((e as Error).cause as Error | undefined)?.message ?? (e as Error).message;
    throw new UnsupportedModelError(
      `${path}: its shapes cannot be probed: it does not run with its symbolic dimensions set to 2 and 3 ` +
        `(${why.split('\n')[0]}). Re-export it with dynamic axes only where sizes may vary.`,
    );
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
