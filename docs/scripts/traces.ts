/**
 * Records the ladders the docs show from real runs: the mock trunk (signalling only) with its
 * simulated phones, and the reference endpoint placing a call and transferring it. Each scenario
 * is written to `generated/<name>.md` as a Mermaid sequence diagram of the SIP messages that went
 * over the wire, which the pages include. Run by `pnpm docs:traces` (part of `docs:build`).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { startEndpoint, type EndpointHandle } from '@referkit/endpoint';
import { startMockTrunk, type MockTrunk, type SipTraceEvent, type TrunkEvent } from '@referkit/mock-trunk';

const OUT = new URL('../generated/', import.meta.url);
const CUSTOMER = '+14155550100';

interface Scenario {
  readonly name: string;
  readonly title: string;
  run(endpoint: EndpointHandle, trunk: MockTrunk): Promise<void>;
}

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'success',
    title: 'A transfer that succeeds',
    async run(endpoint) {
      const call = await endpoint.call(CUSTOMER);
      await endpoint.transfer(call.id, '+14155550101');
      await call.ended;
    },
  },
  {
    name: 'busy',
    title: 'The target is busy: NOTIFY 486, the customer stays',
    async run(endpoint) {
      const call = await endpoint.call(CUSTOMER);
      await endpoint.transfer(call.id, '+14155550102');
      await endpoint.hangup(call.id);
    },
  },
  {
    name: 'foreign-domain',
    title: 'Refer-To outside the trunk domain: 403',
    async run(endpoint) {
      const call = await endpoint.call(CUSTOMER);
      await endpoint.transfer(call.id, 'sip:+14155550101@pbx.example.com', { validate: false });
      await endpoint.hangup(call.id);
    },
  },
  {
    name: 'not-e164',
    title: 'Refer-To user part not in E.164: 400',
    async run(endpoint, trunk) {
      const call = await endpoint.call(CUSTOMER);
      await endpoint.transfer(call.id, `sip:4155550101@${trunk.domain}`, { validate: false });
      await endpoint.hangup(call.id);
    },
  },
  {
    name: 'geo',
    title: 'A destination outside Geo Permissions: 403',
    async run(endpoint) {
      const call = await endpoint.call(CUSTOMER);
      await endpoint.transfer(call.id, '+442079460000', { validate: false });
      await endpoint.hangup(call.id);
    },
  },
  {
    name: 'early-bye',
    title: 'BYE before NOTIFY 200: the trunk drops the customer',
    async run(endpoint, trunk) {
      const call = await endpoint.call(CUSTOMER);
      const pending = endpoint.transfer(call.id, '+14155550103', { allowEarlyHangup: true });
      await trunk.waitFor((e) => e.type === 'sip' && e.leg === 'target' && e.summary.startsWith('180'));
      await endpoint.hangup(call.id, { force: true });
      await pending;
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
  const seen = new Set<string>();
  for (const e of sip) {
    const key = `${e.direction}|${e.leg ?? ''}|${e.raw}`;
    if (seen.has(key)) continue; // a retransmission
    seen.add(key);
    const far = PARTIES[e.leg ?? 'endpoint']?.[0] ?? 'E';
    const response = /^\d{3} /.test(e.summary);
    const [from, to] = e.direction === 'in' ? [far, 'T'] : ['T', far];
    lines.push(`  ${from}${response ? '-->>' : '->>'}${to}: ${label(e)}`);
  }
  return `${lines.join('\n')}\n`;
}

async function record(scenario: Scenario): Promise<string> {
  const trunk = await startMockTrunk({ media: 'none', ringTimeoutMs: 5_000 });
  const sip = trunk.addresses[0];
  if (!sip) throw new Error('the trunk reported no address');
  const endpoint = await startEndpoint({ trunk: { host: sip.host, port: sip.port }, domain: trunk.domain });
  try {
    await scenario.run(endpoint, trunk);
    // Let the last responses arrive.
    await new Promise((resolve) => setTimeout(resolve, 300));
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
