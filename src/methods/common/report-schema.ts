// JSON Schema (draft-07) fragments the methods' report sections share (see types.ts ReportSection).
export const NUMBER = { type: 'number' } as const;
export const STRING = { type: 'string' } as const;
export const BOOLEAN = { type: 'boolean' } as const;
export const COUNT = { type: 'integer', minimum: 0 } as const;
/** The input model, as every report names it (report schema's definitions). */
export const MODEL = { $ref: '#/definitions/model' } as const;

/** A closed object: these properties, all required unless `required` says otherwise. */
export function object(properties: Record<string, unknown>, required: readonly string[] = Object.keys(properties)) {
  return { type: 'object', properties, required: [...required], additionalProperties: false };
}

/** { before, after } numbers: an accuracy or a loss before and after the edit. */
export const BEFORE_AFTER = object({ before: NUMBER, after: NUMBER });

/** The parameters a method changed, by ONNX name (and PyTorch name where known). */
export const PARAMETER_NAMES = { type: 'array', items: object({ name: STRING, torchName: STRING }, ['name']) };

/** A set the method trained on or held out: its spec and size. */
export const SET = object({ source: STRING, count: COUNT });
