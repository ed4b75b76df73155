import { afterEach, describe, expect, it } from 'vitest';
import { AGENT, CUSTOMER, notifyCodes, startLab, until } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe('startMockTrunk (media none): a REFER transfer', () => {
  it('places the customer leg, relays 180/200, and completes a blind transfer like Plivo', async () => {
    const { trunk, endpoint, customer, target } = await startLab(cleanups);
    expect(await endpoint.call(CUSTOMER)).toBe(200);
    expect(customer.invites).toHaveLength(1);
    expect(customer.invites[0]?.uri).toBe(customer.uri(CUSTOMER));

    expect(await endpoint.refer(`<sip:${AGENT}@${trunk.domain}>`)).toBe(202);
    await until(() => endpoint.byes.length === 1, 10_000, 'BYE to the endpoint');

    expect(notifyCodes(endpoint)).toEqual([100, 180, 200]);
    const [first, , last] = endpoint.notifies;
    expect(first?.event).toMatch(/^refer;id=\d+$/);
    expect(first?.subscriptionState).toMatch(/^active/);
    expect(first?.contentType).toBe('message/sipfrag;version=2.0');
    expect(last?.subscriptionState).toMatch(/^terminated/);

    // The target leg carries the trunk's number as caller ID.
    expect(target.invites[0]?.header('From')).toContain('+14155550199');
    // The customer was re-INVITEd toward the target.
    await until(() => customer.inDialog.some((r) => r.method === 'INVITE'), 5000, 're-INVITE');

    // Customer hangs up: the trunk ends the target leg and writes two records.
    await customer.dialogs[0]?.request('BYE').response;
    await until(() => target.inDialog.some((r) => r.method === 'BYE'), 5000, 'BYE to the target');
    await until(() => trunk.calls().length === 0, 5000, 'call ended');
    const records = trunk.records();
    expect(records.map((r) => r.kind)).toEqual(['original', 'transfer']);
    expect(records[1]?.status).toBe(200);
    expect(records[1]?.from).toBe('+14155550199');
    expect(records[0]?.notes.map((n) => n.code)).toContain('TRANSFER_SUCCEEDED');
    const sip = trunk.events().filter((e) => e.type === 'sip');
    expect(sip.some((e) => e.summary === '202 Accepted (REFER)' && e.leg === 'endpoint')).toBe(true);
  });
});

describe('HTTP API over the trunk', () => {
  it('lists calls, serves a call with its records and ladder, and its pcapng', async () => {
    const { trunk, endpoint, customer } = await startLab(cleanups, {
      trunk: { http: { host: '127.0.0.1', port: 0 } },
    });
    expect(trunk.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await endpoint.call(CUSTOMER)).toBe(200);
    expect(await endpoint.refer(`<sip:${AGENT}@${trunk.domain}>`)).toBe(202);
    await until(() => endpoint.byes.length === 1, 10_000, 'BYE to the endpoint');
    await customer.dialogs[0]?.request('BYE').response;
    await until(() => trunk.calls().length === 0, 5000, 'call ended');

    const list = (await (await fetch(`${trunk.httpUrl}/calls`)).json()) as { calls: { id: string }[] };
    expect(list.calls).toHaveLength(1);
    const id = list.calls[0]?.id ?? '';
    const detail = (await (await fetch(`${trunk.httpUrl}/calls/${id}`)).json()) as {
      record: { kind: string }[];
      ladder: string;
    };
    expect(detail.record.map((r) => r.kind)).toEqual(['original', 'transfer']);
    expect(detail.ladder).toContain('sequenceDiagram');
    expect(detail.ladder).toContain('REFER');
    const pcap = Buffer.from(await (await fetch(`${trunk.httpUrl}/calls/${id}/pcap`)).arrayBuffer());
    expect(pcap.readUInt32LE(0)).toBe(0x0a0d0d0a);
    expect((await fetch(`${trunk.httpUrl}/calls/nope`)).status).toBe(404);
  });
});
