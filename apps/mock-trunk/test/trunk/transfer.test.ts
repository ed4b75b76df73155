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
