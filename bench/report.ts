// The one line each benchmark prints per figure for `npm run bench` (bench/run.ts) to collect:
//   BENCH {"name":"...","value":123,"unit":"msg/s","baseline":"456 req/s bare Fastify","ratio":0.27,"target":"ratio >= 0.5","met":false}
// `baseline` says what was measured in the same run to compare against (the machine is shared:
// ratios are what to read); `target` and `met` are left out (null) when a figure has no target.
export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
  /** The same-run baseline, as text with its figure and unit. */
  baseline?: string | null;
  /** value / baseline figure (or as the bench defines it). */
  ratio?: number | null;
  /** The target as text, e.g. "ratio >= 0.8" or "< 50 ms". */
  target?: string | null;
  met?: boolean | null;
}

export const BENCH_PREFIX = 'BENCH ';

export function report(f: BenchFigure): void {
  const round = (x: number) => (Math.abs(x) >= 100 ? Math.round(x) : Number(x.toPrecision(3)));
  const line = {
    name: f.name, value: round(f.value), unit: f.unit, baseline: f.baseline ?? null,
    ratio: f.ratio == null ? null : Number(f.ratio.toFixed(3)), target: f.target ?? null, met: f.met ?? null,
  };
  console.log(`${BENCH_PREFIX}${JSON.stringify(line)}`);
}

/** Percentile of a sample (nearest rank). */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
