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

/**
 * Resolves with the first match of `pattern` in what `child` has written to `stream` so far;
 * rejects, naming `what` and adding `detail()` (say, the child's stderr), when the child cannot be
 * spawned, exits first, or `ms` pass.
 */
export function awaitOutput(
  child: ChildProcess,
  stream: 'stdout' | 'stderr',
  pattern: RegExp,
  what: string,
  ms: number,
  detail: () => string = () => '',
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let text = '';
    // Stops reading once settled: the child may go on writing for as long as it runs.
    const settle = (): void => {
      clearTimeout(timer);
      child[stream]?.off('data', onData);
    };
    const fail = (why: string): void => {
      settle();
      reject(new Error(`${what} ${why}: ${detail()}`));
    };
    const onData = (d: Buffer): void => {
      text += d.toString();
      const m = pattern.exec(text);
      if (m) {
        settle();
        resolve(m);
      }
    };
    const timer = setTimeout(() => fail('did not start'), ms);
    child[stream]?.on('data', onData);
    child.once('error', (e) => fail(`could not be started (${e.message})`));
    void exited(child).then((code) => fail(`exited ${String(code)}`));
  });
}
