/** Small pieces the benchmarks share (bench/sipp.ts and bench/media.ts). */
import type { ChildProcess } from 'node:child_process';

/** Resolves with the child's exit code once it has exited (at once if it already has). */
export const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise((resolve) => child.once('exit', (code) => resolve(code)));

/** The p-th percentile (nearest rank) of `values`; NaN when there are none. */
export function pct(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
