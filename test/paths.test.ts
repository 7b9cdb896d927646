import { describe, expect, it } from 'vitest';
import { besideModel } from '../src/core/paths.js';
import { defaultOutputPath } from '../src/context/options.js';
import { recordPathFor } from '../src/record/record.js';
import { rejectedRecordPathFor } from '../src/api/unlearn.js';
import { fisherBeside, VARIANTS } from '../src/methods/ssd/variants.js';

describe('paths beside a model (core/paths.ts besideModel)', () => {
  it('replaces a trailing .onnx, or appends where there is none', () => {
    expect(besideModel('dir/m.onnx', '.record.json')).toBe('dir/m.record.json');
    expect(besideModel('dir/m', '.record.json')).toBe('dir/m.record.json');
    // only the last extension, and only .onnx exactly
    expect(besideModel('a.onnx.onnx', '.fisher')).toBe('a.onnx.fisher');
    expect(besideModel('m.ONNX', '.fisher')).toBe('m.ONNX.fisher');
    expect(besideModel('x.onnx.d/m.pb', '.fisher')).toBe('x.onnx.d/m.pb.fisher');
  });

  it('names every file scrub puts beside a model', () => {
    expect(defaultOutputPath('m/cnn.onnx')).toBe('m/cnn.unlearned.onnx');
    expect(recordPathFor('m/cnn.unlearned.onnx')).toBe('m/cnn.unlearned.record.json');
    expect(rejectedRecordPathFor('m/cnn.unlearned.onnx')).toBe('m/cnn.unlearned.rejected.record.json');
    expect(fisherBeside('m/cnn.onnx', VARIANTS.ssd)).toBe('m/cnn.fisher');
    expect(fisherBeside('m/cnn.onnx', VARIANTS['lf-ssd'])).toBe('m/cnn.lf-ssd.fisher');
  });
});
