// What every reader (IDX, npy, JSON Lines, image folder) gives the dataset.
import type { Encoding, Values } from './convert.js';
import type { IndexSet } from './select.js';

/** The label of every example of a source without labels: no class index, so never mistaken for one. */
export const NO_LABEL = -1n;

/**
 * One selected example: its stored values and label (NO_LABEL in a source without labels), or why it
 * cannot be used.
 */
export type Example = { values: Values; label: bigint } | { error: string };

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
