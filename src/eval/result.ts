// Result types shared by the evaluation maths: a number, or the reason it could not be computed.

/** What exactly was computed, so a report can name the metric, its version and its parameters. */
export interface MetricDescriptor {
  readonly name: string;
  readonly version: number;
  readonly params: Readonly<Record<string, string | number | boolean | null>>;
}

export interface NotComputable {
  readonly ok: false;
  readonly reason: string;
}

export type Computed<T> = { readonly ok: true; readonly value: T } | NotComputable;

export type MetricResult = ({ readonly ok: true; readonly value: number; readonly note?: string } | NotComputable) & {
  readonly metric: MetricDescriptor;
};

export function notComputable(reason: string): NotComputable {
  return { ok: false, reason };
}

/** Index and count of the non-finite values in `a`, or undefined when all are finite. */
export function firstNonFinite(a: ArrayLike<number>): { index: number; count: number } | undefined {
  let index = -1;
  let count = 0;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) {
      if (index < 0) index = i;
      count++;
    }
  }
  return count === 0 ? undefined : { index, count };
}
