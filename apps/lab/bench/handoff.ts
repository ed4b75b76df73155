/**
 * The lab's benchmark: how long the customer hears nothing useful when a transfer hands them over,
 * and how long the lab takes to start.
 *
 * - Hand-off gap: on the customer's received audio (tone detection, 20 ms frames), from the end of
 *   ring-back (or of the agent's tone, if ring-back was never heard) to the first frame of the
 *   target's tone. The target's answer time is already excluded: ring-back lasts until it answers.
 *   Shown next to the same transfer's signalling time (target's 200 OK -> NOTIFY 200 sent), measured
 *   in the same run.
 * - Lab start: startLab() until the first call is possible.
 *
 *   pnpm --filter referkit-lab bench            (BENCH_TRANSFERS=50 for the full distribution)
 */
import { startLab } from '../src/lab.js';
import { LAB_NUMBERS, labTargets } from '../src/targets.js';

const TRANSFERS = Number(process.env.BENCH_TRANSFERS ?? 20);
const STARTS = Number(process.env.BENCH_STARTS ?? 3);

const quantile = (values: readonly number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
};

const starts: number[] = [];
for (let i = 0; i < STARTS; i++) {
  const t0 = performance.now();
  const lab = await startLab({ sipPort: 0, httpPort: 0 });
  starts.push(performance.now() - t0);
  await lab.close();
}

const lab = await startLab({ sipPort: 0, httpPort: 0 });
const gaps: number[] = [];
const signalling: number[] = [];
try {
  const bank = lab.trunk.phoneBank;
  if (!bank) throw new Error('the lab runs without phones');
  const agent = labTargets(lab.trunk.domain).find((t) => t.id === 'agent')?.referTo ?? '';
  for (let i = 0; i < TRANSFERS; i++) {
    const since = Date.now();
    const call = await lab.endpoint.call(LAB_NUMBERS.customer);
    await bank.waitForHeard(LAB_NUMBERS.customer, 'tone:600', { since, minMs: 300, timeoutMs: 15_000 });
    const referAt = Date.now();
    const result = await lab.endpoint.transfer(call.id, agent);
    if (result.kind !== 'succeeded') throw new Error(`transfer ${i} ended ${result.kind}`);
    await bank.waitForHeard(LAB_NUMBERS.customer, 'tone:800', {
      since: referAt,
      minMs: 300,
      timeoutMs: 15_000,
    });
    // This call's timeline (earlier customers are still bridged to their agents).
    const heard = (bank.calls(LAB_NUMBERS.customer).at(-1)?.heard ?? []).filter((s) => s.endMs > referAt);
    const target = heard.find((s) => s.heard === 'tone:800');
    const before = heard.filter(
      (s) => target && s.startMs < target.startMs && (s.heard === 'ringback' || s.heard === 'tone:600'),
    );
    const last = before.at(-1);
    if (target && last) gaps.push(target.startMs - last.endMs);
    const events = lab.trunk.events().filter((e) => e.at >= referAt && e.type === 'sip');
    const answered = events.find(
      (e) => e.type === 'sip' && e.leg === 'target' && e.summary.startsWith('200 OK (INVITE)'),
    );
    const notified = events.find(
      (e) =>
        e.type === 'sip' && e.leg === 'endpoint' && e.summary === 'NOTIFY' && e.raw.includes('SIP/2.0 200'),
    );
    if (answered && notified) signalling.push(notified.at - answered.at);
    await call.ended;
  }
} finally {
  await lab.close();
}

const row = (name: string, values: readonly number[], unit: string): string =>
  `${name.padEnd(44)} ${String(values.length).padStart(4)}  ${quantile(values, 0.5).toFixed(0).padStart(6)} ${unit}  ${quantile(values, 0.9).toFixed(0).padStart(6)} ${unit}  ${Math.max(
    ...values,
  )
    .toFixed(0)
    .padStart(6)} ${unit}`;
process.stdout.write(
  [
    `${'figure'.padEnd(44)} ${'n'.padStart(4)}  ${'median'.padStart(9)}  ${'p90'.padStart(9)}  ${'max'.padStart(9)}`,
    row('hand-off media gap, < 0 = overlap (goal < 60)', gaps, 'ms'),
    row('target 200 OK -> NOTIFY 200 (signalling)', signalling, 'ms'),
    row('lab start until a call is possible (goal < 3 s)', starts, 'ms'),
  ].join('\n') + '\n',
);
