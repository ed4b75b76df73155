// The HTTP API over a real trunk (media none) whose customer and target are the simulated phones.
import { afterEach, describe, expect, it } from 'vitest';
import { startMockTrunk } from '../../src/index.js';
import type { MockTrunk } from '../../src/index.js';
import type { SipTraceEvent, StateEvent } from '../../src/observe/index.js';
import { decode, readPcapng } from '../observe/pcapng-reader.js';
import { until } from '../phones/uac.js';
import { AGENT, CUSTOMER, startRawEndpoint } from '../trunk/helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

interface SseEvent {
  readonly event: string;
  readonly data: unknown;
}

/** Collects `GET /events` into an array until aborted. */
async function collectEvents(url: string): Promise<{ events: SseEvent[]; stop: () => Promise<void> }> {
  const controller = new AbortController();
  const res = await fetch(`${url}/events`, { signal: controller.signal });
  expect(res.status).toBe(200);
  const reader: ReadableStreamDefaultReader<Uint8Array> = res.body!.getReader();
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  const pump = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.+)$/m.exec(frame)?.[1];
          const data = /^data: (.+)$/m.exec(frame)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) as unknown });
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    events,
    stop: async () => {
      controller.abort();
      await pump;
    },
  };
}

describe('HTTP API over a running trunk with simulated phones', () => {
  it('shows a transferred call in /calls, its ladder, its pcap and its events', async () => {
    const trunk: MockTrunk = await startMockTrunk({
      media: 'none',
      http: { host: '127.0.0.1', port: 0 },
      phones: {
        [CUSTOMER]: { kind: 'answer', answerAfterMs: 50, toneHz: 1000 },
        [AGENT]: { kind: 'answer', answerAfterMs: 300, toneHz: 800 },
      },
    });
    cleanups.push(() => trunk.close());
    const url = trunk.httpUrl!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const stream = await collectEvents(url);
    cleanups.push(stream.stop);
    const endpoint = await startRawEndpoint(trunk);
    cleanups.push(() => endpoint.close());

    expect(await endpoint.call(CUSTOMER)).toBe(200);
    expect(await endpoint.refer(`<sip:${AGENT}@${trunk.domain}>`)).toBe(202);
    await until(() => endpoint.byes.length === 1, 'the BYE to the endpoint', 15_000);

    const list = (await (await fetch(`${url}/calls`)).json()) as { calls: { id: string }[] };
    expect(list.calls.length).toBeGreaterThanOrEqual(1);
    const id = list.calls[0]!.id;

    const detail = (await (await fetch(`${url}/calls/${encodeURIComponent(id)}`)).json()) as {
      id: string;
      ladder: string;
    };
    expect(detail.id).toBe(id);
    const ladder = await (await fetch(`${url}/calls/${encodeURIComponent(id)}/ladder`)).text();
    // The call may still gain events between the two requests: the head is the same.
    expect(ladder.split('\n').slice(0, 5)).toEqual(detail.ladder.split('\n').slice(0, 5));
    expect(ladder).toMatch(/^sequenceDiagram\n/);
    expect(ladder).toContain('E->>T: INVITE');
    expect(ladder).toContain('E->>T: REFER');
    expect(ladder).toContain('T-->>E: 202 Accepted');
    expect(ladder).toMatch(/T->>C: INVITE/);
    expect(ladder).toMatch(/T->>G: INVITE/);
    const { default: mermaid } = await import('mermaid');
    await expect(mermaid.parse(ladder)).resolves.toMatchObject({ diagramType: 'sequence' });

    const pcap = await fetch(`${url}/calls/${encodeURIComponent(id)}/pcap`);
    expect(pcap.headers.get('content-type')).toBe('application/x-pcapng');
    const capture = readPcapng(Buffer.from(await pcap.arrayBuffer()));
    const payloads = capture.packets.map((p) => decode(p.data, capture.linkType).payload.toString('utf8'));
    expect(payloads.some((p) => p.startsWith('REFER '))).toBe(true);
    expect(payloads.some((p) => p.startsWith('NOTIFY '))).toBe(true);

    await until(
      () =>
        stream.events.some((e) => e.event === 'sip' && (e.data as SipTraceEvent).summary.startsWith('BYE')),
      'the BYE on the event stream',
    );
    const sip = stream.events.filter((e) => e.event === 'sip').map((e) => e.data as SipTraceEvent);
    expect(sip.some((e) => e.summary === 'REFER' && e.direction === 'in' && e.leg === 'endpoint')).toBe(true);
    expect(stream.events.some((e) => e.event === 'state' && (e.data as StateEvent).call === id)).toBe(true);
    // The customer phone reports what it hears on the same stream.
    expect(stream.events.some((e) => e.event === 'media')).toBe(true);
  }, 60_000);
});
