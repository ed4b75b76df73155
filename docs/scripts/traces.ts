/**
 * Records the ladders the docs show from real runs: the mock trunk (signalling only) with its
 * simulated phones, and the reference endpoint placing a call and transferring it. Each scenario
 * is written to `generated/<name>.md` as a Mermaid sequence diagram of the SIP messages that went
 * over the wire, which the pages include. Run by `pnpm docs:traces` (part of `docs:build`).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { startEndpoint, type EndpointHandle, type EndpointOptions } from '@referkit/endpoint';
import { startMockTrunk, type MockTrunk, type SipTraceEvent, type TrunkEvent } from '@referkit/mock-trunk';

const OUT = new URL('../generated/', import.meta.url);
const CUSTOMER = '+14155550100';

/** Fails the recording when a scenario did not end as the page that shows it says. */
function expectOutcome(
  scenario: string,
  got: { readonly kind: string; readonly code?: number },
  kind: string,
  code?: number,
): void {
  if (got.kind === kind && (code === undefined || got.code === code)) return;
  const want = code === undefined ? kind : `${kind} ${code}`;
  throw new Error(`docs: the ${scenario} scenario ended ${JSON.stringify(got)}, not ${want}`);
}

interface Scenario {
  readonly name: string;
  readonly title: string;
  /** Options for the recording endpoint, e.g. a Contact it does not listen on. */
  readonly endpoint?: Partial<EndpointOptions>;
  run(endpoint: EndpointHandle, trunk: MockTrunk): Promise<void>;
}

/**
 * A scenario that calls the customer, transfers to `target` (unvalidated, so the trunk's own
 * answer shows), expects the outcome `kind` (and `code`), then hangs up the call that stayed up.
 */
function staysUp(
  name: string,
  title: string,
  target: string | ((trunk: MockTrunk) => string),
  kind: string,
  code?: number,
): Scenario {
  return {
    name,
    title,
    async run(endpoint, trunk) {
      const call = await endpoint.call(CUSTOMER);
      const to = typeof target === 'string' ? target : target(trunk);
      expectOutcome(name, await endpoint.transfer(call.id, to, { validate: false }), kind, code);
      await endpoint.hangup(call.id);
    },
  };
}

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'success',
    title: 'A transfer that succeeds',
    async run(endpoint) {
      const call = await endpoint.call(CUSTOMER);
      expectOutcome('success', await endpoint.transfer(call.id, '+14155550101'), 'succeeded', 200);
      await call.ended;
    },
  },
  staysUp('busy', 'The target is busy: NOTIFY 486, the customer stays', '+14155550102', 'failed', 486),
  staysUp(
    'no-answer',
    'Nobody answers: NOTIFY 408 after the ring timeout, the customer stays',
    '+14155550103',
    'failed',
    408,
  ),
  staysUp('decline', 'The target declines: NOTIFY 603, the customer stays', '+14155550104', 'failed', 603),
  {
    ...staysUp(
      'no-notify',
      'A Contact the endpoint does not listen on: no NOTIFY arrives',
      '+14155550101',
      'timedOut',
    ),
    endpoint: { contactHost: '127.0.0.2', notifyTimeoutMs: 4_000 },
  },
  staysUp(
    'foreign-domain',
    'Refer-To outside the trunk domain: 403',
    'sip:+14155550101@pbx.example.com',
    'rejected',
    403,
  ),
  staysUp(
    'not-e164',
    'Refer-To user part not in E.164: 400',
    (trunk) => `sip:4155550101@${trunk.domain}`,
    'rejected',
    400,
  ),
  staysUp('geo', 'A destination outside Geo Permissions: 403', '+442079460000', 'rejected', 403),
  {
    name: 'early-bye',
    title: 'BYE before NOTIFY 200: the trunk drops the customer',
    async run(endpoint, trunk) {
      const call = await endpoint.call(CUSTOMER);
      const pending = endpoint.transfer(call.id, '+14155550103', { allowEarlyHangup: true });
      await trunk.waitFor((e) => e.type === 'sip' && e.leg === 'target' && e.summary.startsWith('180'));
      await endpoint.hangup(call.id, { force: true });
      expectOutcome('early-bye', await pending, 'cancelled');
      await trunk.waitFor(
        (e) => e.type === 'sip' && e.leg === 'customer' && e.summary.startsWith('200 OK (BYE)'),
      );
    },
  },
];

const PARTIES: Record<string, [alias: string, label: string]> = {
  endpoint: ['E', 'Your endpoint'],
  trunk: ['T', 'Trunk'],
  customer: ['C', 'Customer'],
  target: ['X', 'Target'],
};

/** The label of an arrow: the method or status, and for NOTIFYs the sipfrag they carry. */
function label(event: SipTraceEvent): string {
  const body = event.raw.split('\r\n\r\n')[1] ?? '';
  const frag = /^SIP\/2\.0 (\d{3} [^\r\n]*)/.exec(body);
  const summary = event.summary.replace(/[;#]/g, ' ');
  return frag && event.summary === 'NOTIFY' ? `NOTIFY (${frag[1]})` : summary;
}

/** Mermaid text for the SIP messages of one call, retransmissions folded. */
export function ladder(events: readonly TrunkEvent[]): string {
  const sip = events.filter((e): e is SipTraceEvent => e.type === 'sip' && e.leg !== undefined);
  const used = new Set(['endpoint', 'trunk', ...sip.map((e) => e.leg ?? 'endpoint')]);
  const lines = ['sequenceDiagram'];
  for (const [party, [alias, text]] of Object.entries(PARTIES)) {
    if (used.has(party)) lines.push(`  participant ${alias} as ${text}`);
  }
  // Where the endpoint really is: the source of its first message. A message the trunk sends
  // elsewhere (to a Contact the endpoint does not listen on) is drawn as lost.
  const endpointAt = sip.find((e) => e.leg === 'endpoint' && e.direction === 'in')?.remote;
  const seen = new Set<string>();
  for (const e of sip) {
    const key = `${e.direction}|${e.leg ?? ''}|${e.raw}`;
    if (seen.has(key)) continue; // a retransmission
    seen.add(key);
    const far = PARTIES[e.leg ?? 'endpoint']?.[0] ?? 'E';
    const response = /^\d{3} /.test(e.summary);
    const lost =
      e.direction === 'out' && e.leg === 'endpoint' && endpointAt !== undefined && e.remote !== endpointAt;
    const arrow = lost ? (response ? '--x' : '-x') : response ? '-->>' : '->>';
    const [from, to] = e.direction === 'in' ? [far, 'T'] : ['T', far];
    lines.push(`  ${from}${arrow}${to}: ${label(e)}${lost ? ` to ${e.remote}, never arrives` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Waits until the trunk has sent and received nothing for a quarter of a second, so the ladder
 * holds the last responses (a successful transfer leaves the customer and the target talking).
 */
async function settled(trunk: MockTrunk, scenario: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (let seen = -1; seen !== trunk.events().length;) {
    if (Date.now() > deadline) throw new Error(`docs: the ${scenario} scenario never went quiet`);
    seen = trunk.events().length;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function record(scenario: Scenario): Promise<string> {
  const trunk = await startMockTrunk({ media: 'none', ringTimeoutMs: 5_000 });
  const sip = trunk.addresses[0];
  if (!sip) throw new Error('the trunk reported no address');
  const endpoint = await startEndpoint({
    trunk: { host: sip.host, port: sip.port },
    domain: trunk.domain,
    ...scenario.endpoint,
  });
  try {
    await scenario.run(endpoint, trunk);
    await settled(trunk, scenario.name);
    return ladder(trunk.events());
  } finally {
    await endpoint.close();
    await trunk.close();
  }
}

await mkdir(OUT, { recursive: true });
for (const scenario of SCENARIOS) {
  const text = await record(scenario);
  await writeFile(new URL(`${scenario.name}.md`, OUT), `\`\`\`mermaid\n${text}\`\`\`\n`);
  process.stdout.write(`docs: recorded the ${scenario.name} ladder (${text.split('\n').length - 2} lines)\n`);
}
