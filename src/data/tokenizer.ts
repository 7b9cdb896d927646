// Hugging Face tokenizers (`tokenizer.json` + `tokenizer_config.json`) for text models, fixed-length.
//
//   loadTokenizer(path) → TextTokenizer { inputNames, maxLength, padId, sepId, encode(text), encodeBatch(texts) }
//
// The spec is ../shared/text/README.md, section Tokenizer ("Encoding a text"): the ids are those of
// `@huggingface/tokenizers` 0.2.0 (pure JS: normalizer, pre-tokenizer, model, post-processor as the
// file says), whose encode() neither truncates nor pads. This module does both, as the Rust library
// (Python `tokenizers`, `PreTrainedTokenizerFast(truncation=True, padding='max_length')`) does for a
// single sequence:
//   truncation  more than maxLength ids: keep the first maxLength − |suffix| and append the suffix,
//               the special tokens the post-processor puts after the text ([SEP] for BERT: keep the
//               first maxLength − 1, append [SEP]'s id). Only truncation_side 'right'.
//   padding     append the pad token's id up to the length asked for. Only padding_side 'right'.
//   attention_mask 1 on every kept id, 0 on padding; token_type_ids 0 everywhere.
// maxLength: tokenizer_config.json's model_max_length, else tokenizer.json's truncation.max_length.
// Everything is int64 (BigInt64Array), the type BERT-style ONNX exports take.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { BadInputError } from '../core/errors.js';

/** The three inputs of a BERT-style model, in the order encode() returns them. */
export const TEXT_INPUT_NAMES = ['input_ids', 'attention_mask', 'token_type_ids'] as const;
export type TextInputName = (typeof TEXT_INPUT_NAMES)[number];

/** One text, padded to maxLength: each array int64 [maxLength]. */
export interface EncodedText {
  input_ids: BigInt64Array;
  attention_mask: BigInt64Array;
  token_type_ids: BigInt64Array;
  /** Ids kept (special tokens included), ≤ maxLength: the positions where attention_mask is 1. */
  length: number;
}

/** Texts as a batch: each array int64 row-major [count, length]. */
export interface EncodedBatch {
  input_ids: BigInt64Array;
  attention_mask: BigInt64Array;
  token_type_ids: BigInt64Array;
  /** [count, length]: length is maxLength for pad 'max', the longest kept length for pad 'longest'. */
  dims: [number, number];
  /** Ids kept per text (its attention_mask's 1s). */
  lengths: Int32Array;
}

export interface TextTokenizer {
  /** tokenizer_config.json's model_input_names (default input_ids, attention_mask, token_type_ids). */
  readonly inputNames: readonly TextInputName[];
  /** The fixed sequence length: model_max_length (or tokenizer.json's truncation.max_length). */
  readonly maxLength: number;
  readonly padId: number;
  /** Ids appended after the text by the post-processor ([SEP] for BERT); kept when truncating. */
  readonly suffixIds: readonly number[];
  /** The ids of `text` before truncation and padding (the library's encode(text).ids). */
  ids(text: string): number[];
  /** One text: int64 [maxLength] arrays; see the header for truncation and padding. */
  encode(text: string): EncodedText;
  /**
   * Texts as int64 [count, length] arrays, each row as encode() gives it (cut to `length`). `pad`:
   * 'max' (default) pads every row to maxLength; 'longest' to the longest row of the batch, which
   * gives a BERT-style model the same results (a masked position gets zero attention).
   */
  encodeBatch(texts: readonly string[], opts?: { pad?: 'max' | 'longest' }): EncodedBatch;
}

const WHAT = 'Pass the tokenizer.json file of a Hugging Face tokenizer, or the folder holding it';

function readJson(path: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new BadInputError(`${path}: cannot read ${what} (${(e as Error).message}). ${WHAT}.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new BadInputError(`${path}: ${what} is not valid JSON (${(e as Error).message}). ${WHAT}.`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new BadInputError(`${path}: ${what} must be a JSON object. ${WHAT}.`);
  return value as Record<string, unknown>;
}

/** A special token as tokenizer_config.json writes it: "[PAD]" or {"content": "[PAD]", ...}. */
function tokenText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as { content?: unknown }).content === 'string')
    return (v as { content: string }).content;
  return undefined;
}

/** The special-token ids the post-processor appends after a single sequence. */
function suffixOf(json: Record<string, unknown>, tok: Tokenizer, file: string): number[] {
  const pp = json.post_processor as Record<string, unknown> | null | undefined;
  if (pp === null || pp === undefined) return [];
  const idOf = (token: string, field: string): number => {
    const id = tok.token_to_id(token);
    if (id === undefined)
      throw new BadInputError(`${file}: post_processor.${field} names "${token}", which is not in the vocabulary.`);
    return id;
  };
  switch (pp.type) {
    case 'TemplateProcessing': {
      const single = pp.single as Array<Record<string, { id: string }>> | undefined;
      const at = single?.findIndex((p) => 'Sequence' in p) ?? -1;
      if (!single || at < 0)
        throw new BadInputError(`${file}: post_processor.single has no Sequence entry; it is not a valid template.`);
      const specials = (pp.special_tokens ?? {}) as Record<string, { ids?: number[] }>;
      return single.slice(at + 1).flatMap((p) => {
        const name = p.SpecialToken?.id;
        const ids = name === undefined ? undefined : specials[name]?.ids;
        if (!ids) throw new BadInputError(`${file}: post_processor.single names a special token it does not define.`);
        return ids;
      });
    }
    case 'BertProcessing':
    case 'RobertaProcessing': {
      const sep = pp.sep as [string, number] | undefined;
      return sep ? [typeof sep[1] === 'number' ? sep[1] : idOf(sep[0], 'sep')] : [];
    }
    case 'ByteLevel':
      return [];
    default:
      throw new BadInputError(
        `${file}: post_processor type ${JSON.stringify(pp.type)}: scrub truncates texts for TemplateProcessing, ` +
          'BertProcessing, RobertaProcessing and ByteLevel only. Use a tokenizer with one of those.',
      );
  }
}

/**
 * Loads a Hugging Face tokenizer: `path` is tokenizer.json or a folder holding it; tokenizer_config.json
 * beside it is read when present (model_max_length, padding_side, truncation_side,
 * model_input_names, pad_token, sep_token). Unreadable or unsupported files are a BadInputError.
 */
export function loadTokenizer(path: string): TextTokenizer {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'tokenizer.json') : path;
  if (!existsSync(file)) throw new BadInputError(`${file}: no such file. ${WHAT}.`);
  const json = readJson(file, 'the tokenizer');
  const configPath = join(dirname(file), 'tokenizer_config.json');
  const config = existsSync(configPath) ? readJson(configPath, 'the tokenizer config') : {};
  const where = existsSync(configPath) ? configPath : file;

  let tok: Tokenizer;
  try {
    tok = new Tokenizer(json, config);
  } catch (e) {
    throw new BadInputError(
      `${file}: @huggingface/tokenizers cannot load it (${(e as Error).message}). ${WHAT}, in the format ` +
        'of the tokenizers library.',
    );
  }

  const truncation = (json.truncation ?? null) as { max_length?: unknown; direction?: unknown } | null;
  const padding = (json.padding ?? null) as { direction?: unknown; pad_id?: unknown } | null;
  // transformers writes a huge model_max_length (1e30) when it is unknown
  const configured = config.model_max_length;
  const usable = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 1e6;
  const maxLength = usable(configured) ? (configured as number) : truncation?.max_length;
  if (!usable(maxLength))
    throw new BadInputError(
      `${where}: model_max_length ${JSON.stringify(configured)} is not a usable sequence length, and ` +
        `${file} sets no truncation.max_length. Set model_max_length in tokenizer_config.json to the ` +
        "model's sequence length.",
    );

  const side = (field: 'padding_side' | 'truncation_side', fromJson: unknown): void => {
    const v = config[field] ?? (typeof fromJson === 'string' ? fromJson.toLowerCase() : 'right');
    const done = field === 'padding_side' ? 'padded' : 'cut';
    if (v !== 'right')
      throw new BadInputError(
        `${where}: ${field} ${JSON.stringify(v)} is not supported; scrub pads and truncates on the right ` +
          `only. Set ${field} to "right" (for a model that takes inputs ${done} on the right).`,
      );
  };
  side('padding_side', padding?.direction);
  side('truncation_side', truncation?.direction);

  const names = config.model_input_names ?? [...TEXT_INPUT_NAMES];
  if (
    !Array.isArray(names) ||
    names.length === 0 ||
    !names.every((n) => (TEXT_INPUT_NAMES as readonly unknown[]).includes(n))
  )
    throw new BadInputError(
      `${where}: model_input_names ${JSON.stringify(names)}: scrub produces ${TEXT_INPUT_NAMES.join(', ')} ` +
        'only. List a non-empty subset of those.',
    );

  const padText = tokenText(config.pad_token);
  const padId =
    padText !== undefined ? tok.token_to_id(padText) : typeof padding?.pad_id === 'number' ? padding.pad_id : undefined;
  if (padId === undefined)
    throw new BadInputError(
      `${where}: pad_token ${padText === undefined ? 'is not set' : `"${padText}" is not in the vocabulary`}. ` +
        'Set pad_token in tokenizer_config.json to a token of the vocabulary ([PAD] for BERT).',
    );
  const suffixIds = suffixOf(json, tok, file);
  const max = maxLength as number;
  if (suffixIds.length >= max)
    throw new BadInputError(`${where}: model_max_length ${max} leaves no room for the text beside the special tokens.`);

  const ids = (text: string): number[] => tok.encode(text).ids;
  /** Writes text's truncated ids at row `at` of arrays of row length `width`; returns the kept length. */
  const writeRow = (row: number[], ids64: BigInt64Array, mask: BigInt64Array, at: number, width: number): number => {
    const n = Math.min(row.length, max);
    const keep = row.length > max ? max - suffixIds.length : n;
    const base = at * width;
    for (let i = 0; i < keep; i++) ids64[base + i] = BigInt(row[i]);
    for (let i = keep; i < n; i++) ids64[base + i] = BigInt(suffixIds[i - keep]);
    for (let i = n; i < width; i++) ids64[base + i] = BigInt(padId);
    mask.fill(1n, base, base + n);
    return n;
  };

  return {
    inputNames: names as TextInputName[],
    maxLength: max,
    padId,
    suffixIds,
    ids,
    encode(text: string): EncodedText {
      const input_ids = new BigInt64Array(max);
      const attention_mask = new BigInt64Array(max);
      const length = writeRow(ids(text), input_ids, attention_mask, 0, max);
      return { input_ids, attention_mask, token_type_ids: new BigInt64Array(max), length };
    },
    encodeBatch(texts: readonly string[], opts: { pad?: 'max' | 'longest' } = {}): EncodedBatch {
      const pad = opts.pad ?? 'max';
      if (pad !== 'max' && pad !== 'longest')
        throw new BadInputError(`encodeBatch: pad ${JSON.stringify(pad)}: give 'max' or 'longest'.`);
      const rows = texts.map(ids);
      const lengths = Int32Array.from(rows, (r) => Math.min(r.length, max));
      const width = pad === 'max' ? max : lengths.reduce((a, b) => Math.max(a, b), 0);
      const input_ids = new BigInt64Array(rows.length * width);
      const attention_mask = new BigInt64Array(rows.length * width);
      rows.forEach((r, i) => writeRow(r, input_ids, attention_mask, i, width));
      return {
        input_ids,
        attention_mask,
        token_type_ids: new BigInt64Array(rows.length * width),
        dims: [rows.length, width],
        lengths,
      };
    },
  };
}
