import { describe, expect, it } from 'vitest';
import type { SipTraceEvent } from '../../src/observe/types.js';
import { SipTracer } from '../../src/trunk/trace.js';

const TEXT = [
  'SIP/2.0 202 Accepted',
  'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKtrace1',
  'From: <sip:+14155550100@127.0.0.1>;tag=a',
  'To: <sip:+14155550101@lab.zt.plivo.com>;tag=b',
  'i: trace-call-id-0123456789@127.0.0.1',
  'CSeq: 2 REFER',
  'Subject: caf\u00e9',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

async function traceOne(data: Buffer): Promise<SipTraceEvent> {
  const events: SipTraceEvent[] = [];
  const tracer = new SipTracer((e) => events.push(e));
  tracer.bind('trace-call-id-0123456789@127.0.0.1', 'call-7', 'endpoint');
  tracer.push({
    direction: 'out',
    transport: 'udp',
    local: { host: '127.0.0.1', port: 5060 },
    remote: { host: '::1', port: 5070 },
    data,
    at: 1_700_000_000_000,
  });
  await Promise.resolve();
  expect(events).toHaveLength(1);
  return events[0]!;
}

describe('SipTracer', () => {
  it('tags a message with its call and leg, and summarises it', async () => {
    const e = await traceOne(Buffer.from(TEXT, 'utf8'));
    expect(e).toMatchObject({
      type: 'sip',
      direction: 'out',
      local: '127.0.0.1:5060',
      remote: '[::1]:5070',
      callId: 'trace-call-id-0123456789@127.0.0.1',
      call: 'call-7',
      leg: 'endpoint',
      summary: '202 Accepted (REFER)',
    });
    expect(e.raw).toBe(TEXT);
  });

  it('raw survives spread, JSON and structuredClone, like a plain property', async () => {
    const e = await traceOne(Buffer.from(TEXT, 'utf8'));
    expect({ ...e }.raw).toBe(TEXT);
    expect((JSON.parse(JSON.stringify(e)) as SipTraceEvent).raw).toBe(TEXT);
    expect(structuredClone(e).raw).toBe(TEXT);
    expect(Object.keys(e)).toContain('raw');
  });

  it('keeps its own copy of the bytes: reusing the sender buffer does not change the event', async () => {
    // Small Buffer.from() results are slices of Node's shared pool, like serialized messages.
    const data = Buffer.from(TEXT, 'utf8');
    expect(data.byteLength).toBeLessThan(data.buffer.byteLength);
    const e = await traceOne(data);
    data.fill(0x20);
    expect(e.raw).toBe(TEXT);
    expect(e.summary).toBe('202 Accepted (REFER)');
  });
});
