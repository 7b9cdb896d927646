// What every reader (IDX, npy, JSON Lines, image folder) gives the dataset.
import type { Encoding, Values } from './convert.js';
import type { IndexSet } from './select.js';

/** The label of every example of a source without labels: no class index, so never mistaken for one. */
export const NO_LABEL = -1n;

/**
 * One selected example: its stored values and label (NO_LABEL in a source without labels), or why it
 * cannot be used. From a multi-hot source (Source.labelWidth = C) the label is NO_LABEL and `targets`
 * holds the example's C labels, each 0 or 1; from any other source `targets` is absent.
 */
export type Example = { values: Values; label: bigint; targets?: Float32Array } | { error: string };

export interface Source {
  format: 'idx' | 'npy' | 'jsonl' | 'images';
  /** Examples in the source, before any selection. */
  count: number;
  /** Stored per-example shape. */
  shape: number[];
  encoding: Encoding;
  /** Stored element type ('uint8', 'float32', …; 'json' for JSON Lines numbers). */
  stored: string;
  /** What was read, for people: file names and format. */
  description: string;
  /** False for a set without labels (a flat image folder, x.npy alone, JSON Lines without "y"). */
  labelled: boolean;
  /**
   * C for a source whose labels are multi-hot (C independent 0/1 labels an example, as for a head of C
   * sigmoid outputs): every example's label is then NO_LABEL and its `targets` hold the C labels.
   * Absent for class-index labels and for sources without labels. IDX and image folders never set it.
   */
  labelWidth?: number;
  /** Distinct labels, where known without reading the data. */
  classes?: number[];
  /** Yields exactly one entry per index of `set`, in ascending order. */
  read(set: IndexSet): AsyncIterable<Example>;
}

/** Consecutive runs [start, end) of a set, each at most `max` long. */
export function* runs(set: IndexSet, max: number): Generator<[number, number]> {
  for (let i = 0; i < set.starts.length; i++)
    for (let s = set.starts[i]; s < set.ends[i]; s += max) yield [s, Math.min(s + max, set.ends[i])];
}
