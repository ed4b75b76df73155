import type { TrunkEvent } from '@referkit/mock-trunk';
import type { EndpointEvent } from '@referkit/endpoint';
import { startLab } from './lab.js';
import { LAB_NUMBERS, labTargets } from './targets.js';

/**
 * One full loop in the terminal: call the customer, let them hear the agent, transfer to the
 * answering agent, and report the ladder, the outcome and what everyone heard.
 */
export interface DemoResult {
  /** The transfer outcome the endpoint reported (`succeeded`, `failed`...). */
  readonly outcome: string;
  /** What the customer heard, in order (`tone:600`, `ringback`, `tone:800`...). */
  readonly customerHeard: readonly string[];
  /** Whether the trunk sent BYE to the endpoint after the transfer. */
  readonly endpointGotBye: boolean;
  /** The call's SIP ladder as a Mermaid sequence diagram. */
  readonly ladder: string;
  /** The verdict lines printed at the end. */
  readonly verdict: readonly string[];
  /** True when every check of the verdict passed. */
  readonly ok: boolean;
}

function until<T>(
  subscribe: (fn: (value: T) => void) => () => void,
  match: (value: T) => boolean,
  ms: number,
  what: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    const stop = subscribe((value) => {
      if (!match(value)) return;
      clearTimeout(timer);
      stop();
      resolve(value);
    });
  });
}

/** Runs the demo loop on a lab of its own (ephemeral ports) and closes it. */
export async function runDemo(
  options: { media?: 'rtpengine' | 'none'; log?: (line: string) => void } = {},
): Promise<DemoResult> {
  const log = options.log ?? (() => undefined);
  const lab = await startLab({ sipPort: 0, httpPort: 0, media: options.media ?? 'rtpengine' });
  try {
    const customerHeard: string[] = [];
    const stopHearing = lab.trunk.subscribe((event: TrunkEvent) => {
      if (
        event.type === 'media' &&
        event.party === LAB_NUMBERS.customer &&
        event.heard !== customerHeard.at(-1)
      ) {
        customerHeard.push(event.heard);
      }
    });
    const endpointEvents = (fn: (e: EndpointEvent) => void): (() => void) =>
      lab.endpoint.subscribe((e) => {
        if (e.type !== 'hearing') fn(e);
      });

    log(`Calling the customer ${LAB_NUMBERS.customer} through the mock trunk...`);
    const call = await lab.endpoint.call(LAB_NUMBERS.customer);
    if (options.media !== 'none') {
      await lab.trunk.waitFor(
        (e) => e.type === 'media' && e.party === LAB_NUMBERS.customer && e.heard === 'tone:600',
        10_000,
      );
      log('The customer hears the agent (600 Hz).');
    }
    const target = labTargets(lab.trunk.domain).find((t) => t.id === 'agent');
    if (!target) throw new Error('the lab has no answering agent');
    log(`Transferring to ${target.referTo}...`);
    const ended = until(
      endpointEvents,
      (e) => e.type === 'hangup',
      30_000,
      'the trunk to hang up on the endpoint',
    );
    const outcome = await lab.endpoint.transfer(call.id, target.referTo);
    log(`Transfer outcome: ${outcome.kind}`);
    const hangup = await ended;
    const endpointGotBye = hangup.type === 'hangup' && hangup.by === 'trunk';
    if (options.media !== 'none') {
      await lab.trunk
        .waitFor(
          (e) => e.type === 'media' && e.party === LAB_NUMBERS.customer && e.heard === 'tone:800',
          10_000,
        )
        .catch(() => undefined);
    }
    stopHearing();
    const trunkCall =
      lab.trunk.records().find((r) => r.kind === 'original')?.call ?? lab.trunk.calls()[0]?.id;
    const ladder =
      trunkCall && lab.trunk.httpUrl
        ? await fetch(new URL(`calls/${encodeURIComponent(trunkCall)}/ladder`, lab.trunk.httpUrl)).then((r) =>
            r.text(),
          )
        : '(no ladder: the trunk recorded no call)';

    const heardSequence = customerHeard.filter((h) => h !== 'silence' && h !== 'audio');
    const order = ['tone:600', 'ringback', 'tone:800'];
    let at = 0;
    for (const heard of heardSequence) if (heard === order[at]) at += 1;
    const checks: [boolean, string][] = [
      [outcome.kind === 'succeeded', `the transfer succeeded (${outcome.kind})`],
      [endpointGotBye, 'the endpoint got BYE from the trunk after NOTIFY 200'],
    ];
    if (options.media !== 'none') {
      checks.push([
        at === order.length,
        `the customer heard the agent, then ring-back, then the target (${heardSequence.join(' -> ') || 'nothing'})`,
      ]);
    }
    const verdict = checks.map(([ok, text]) => `${ok ? 'PASS' : 'FAIL'}  ${text}`);
    return {
      outcome: outcome.kind,
      customerHeard,
      endpointGotBye,
      ladder,
      verdict,
      ok: checks.every(([ok]) => ok),
    };
  } finally {
    await lab.close();
  }
}

const isMain = import.meta.url === `file://${process.argv[1] ?? ''}`;
if (isMain) {
  const media = process.argv.includes('--no-media') ? 'none' : 'rtpengine';
  runDemo({ media, log: (line) => process.stdout.write(`${line}\n`) }).then(
    (result) => {
      process.stdout.write(`\n${result.ladder}\n\n${result.verdict.join('\n')}\n`);
      process.exit(result.ok ? 0 : 1);
    },
    (err: unknown) => {
      process.stderr.write(`referkit demo: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
