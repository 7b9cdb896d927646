// Paths beside a model file: the edited model, its records, its Fisher files.

/**
 * The path beside a model with its `.onnx` extension (if it has one) replaced by `suffix`:
 * besideModel('m.onnx', '.record.json') is 'm.record.json'; a path without `.onnx` gets the suffix appended.
 */
export function besideModel(modelPath: string, suffix: string): string {
  return modelPath.replace(/(\.onnx)?$/, suffix);
}
