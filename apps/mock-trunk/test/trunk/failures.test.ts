import * as dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { TRANSFEROR_HUNG_UP_EARLY_REASON } from '@referkit/core';
import { AGENT, CUSTOMER, notifyCodes, startLab, startRawPhone, until } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const DOMAIN = 'lab.zt.plivo.com';

describe('REFER responses (Plivo behaviour table)', () => {
  it.each([
    ['missing Refer-To', undefined, 400],
    ['two Refer-To values', [`<sip:${AGENT}@${DOMAIN}>`, `<sip:+14155550102@${DOMAIN}>`], 400],
    ['a number that is not E.164', `<sip:4155550101@${DOMAIN}>`, 400],
    ['a malformed URI', '<sip:>', 400],
    ['a domain that is not a Plivo trunk domain', `<sip:${AGENT}@example.com>`, 403],
    ['a private IP target', `<sip:${AGENT}@10.1.2.3>`, 403],
    ['an international number without Geo Permissions', `<sip:+442071838750@${DOMAIN}>`, 403],
  ])('%s: %s gets %i and the caller stays with the endpoint', async (_name, referTo, status) => {
    const { endpoint, customer, target, trunk } = await startLab(cleanups);
    expect(await endpoint.call(CUSTOMER)).toBe(200);
    expect(await endpoint.refer(referTo)).toBe(status);
    expect(endpoint.notifies).toHaveLength(0);
    expect(target.invites).toHaveLength(0);
    expect(customer.inDialog).toHaveLength(0);
    // The call goes on; the endpoint ends it.
    expect(await endpoint.hangUp()).toBe(200);
    await until(() => customer.inDialog.some((r) => r.method === 'BYE'), 5000, 'BYE to the customer');
    await until(() => trunk.records().length > 0, 5000, 'record');
    expect(trunk.records()[0]?.notes[0]).toMatchObject({ code: 'REFER_REFUSED', status });
  });

  it('accepts an international number enabled under Geo Permissions (routed like any other)', async () => {
    const { endpoint, trunk } = await startLab(cleanups, { trunk: { geo: ['GB'] } });
    expect(await endpoint.call(CUSTOMER)).toBe(200);
    expect(await endpoint.refer(`<sip:+442071838750@${DOMAIN}>`)).toBe(202);
    // No route to that number: the target leg fails with 404, reported in the final NOTIFY.
    await until(() => endpoint.notifies.length === 2, 5000, 'NOTIFYs');
    expect(notifyCodes(endpoint)).toEqual([100, 404]);
    expect(await endpoint.hangUp()).toBe(200);
    await until(() => trunk.calls().length === 0, 5000);
  });

  it('491 to a second REFER while the first is ringing; an early BYE then drops the caller and cancels the target', async () => {
    const { endpoint, customer, target, trunk } = await startLab(cleanups, { target: { never: true } });
    expect(await endpoint.call(CUSTOMER)).toBe(200);
    expect(await endpoint.refer(`<sip:${AGENT}@${DOMAIN}>`)).toBe(202);
    await until(() => endpoint.notifies.length === 2, 5000, 'NOTIFY 180');
    expect(notifyCodes(endpoint)).toEqual([100, 180]);
    expect(await endpoint.refer(`<sip:${AGENT}@${DOMAIN}>`)).toBe(491);

    // The most common mistake: BYE before NOTIFY 200.
    expect(await endpoint.hangUp()).toBe(200);
    await until(() => customer.inDialog.some((r) => r.method === 'BYE'), 5000, 'caller dropped');
    await until(() => target.cancelled.length === 1, 5000, 'target leg cancelled');
    await until(() => trunk.calls().length === 0, 5000, 'call ended');
    const [original, leg] = trunk.records();
    expect(original?.hangupCause).toBe(TRANSFEROR_HUNG_UP_EARLY_REASON);
    expect(original?.notes.map((n) => n.code)).toEqual(['REFER_REFUSED', 'TRANSFEROR_HUNG_UP_EARLY']);
    expect(leg).toMatchObject({ kind: 'transfer', status: 487, hangupCause: 'cancelled by the trunk' });
  });

  it('481 to a REFER outside any dialog', async () => {
    const { endpoint, trunk } = await startLab(cleanups);
    const address = trunk.addresses[0];
    if (!address) throw new Error('no address');
    const tx = endpoint.stack.sendRequest(
      {
        method: 'REFER',
        uri: `sip:${CUSTOMER}@${DOMAIN}`,
        headers: { 'Refer-To': `<sip:${AGENT}@${DOMAIN}>` },
      },
      { destination: { transport: 'udp', host: address.host, port: address.port } },
    );
    expect((await tx.response).status).toBe(481);
  });
});

describe('target failures keep the caller with the endpoint', () => {
  it.each([
    ['busy', { status: 486 }, [100, 180, 486]],
    ['decline', { status: 603 }, [100, 180, 603]],
    ['unreachable (503)', { status: 503, ring: false }, [100, 503]],
  ])('%s: NOTIFY with the status, terminated; the call goes on', async (_name, behaviour, codes) => {
    const { endpoint, customer, trunk } = await startLab(cleanups, { target: behaviour });
    expect(await endpoint.call(CUSTOMER)).toBe(200);
    expect(await endpoint.refer(`<sip:${AGENT}@${DOMAIN}>`)).toBe(202);
    await until(() => endpoint.notifies.length === codes.length, 5000, 'final NOTIFY');
    expect(notifyCodes(endpoint)).toEqual(codes);
    expect(endpoint.notifies.at(-1)?.subscriptionState).toMatch(/^terminated/);
    expect(endpoint.byes).toHaveLength(0);
    expect(customer.inDialog).toHaveLength(0);
    expect(await endpoint.hangUp()).toBe(200);
    await until(() => trunk.calls().length === 0, 5000);
    expect(trunk.records()[0]?.notes.map((n) => n.code)).toEqual(['TRANSFER_FAILED']);
  });

  it.each([
    ['account balance', 'status:402', 402],
    ['destination unreachable', 'status:503', 503],
  ])('%s (route %s): NOTIFY %i', async (_name, route, code) => {
    const { endpoint, trunk } = await startLab(cleanups, { trunk: { routes: { '+14155550107': route } } });
    expect(await endpoint.call(CUSTOMER)).toBe(200);
    expect(await endpoint.refer(`<sip:+14155550107@${DOMAIN}>`)).toBe(202);
    await until(() => endpoint.notifies.length === 2, 5000, 'final NOTIFY');
    expect(notifyCodes(endpoint)).toEqual([100, code]);
    expect(await endpoint.hangUp()).toBe(200);
    await until(() => trunk.calls().length === 0, 5000);
  });

  it('no answer: the ring timeout cancels the target and reports 408; a new REFER then succeeds', async () => {
    const good = await startRawPhone();
    cleanups.push(() => good.close());
    const { endpoint, customer, target, trunk } = await startLab(cleanups, {
      target: { never: true },
      trunk: { ringTimeoutMs: 300, routes: { '+14155550105': good.uri('+14155550105') } },
    });
    expect(await endpoint.call(CUSTOMER)).toBe(200);
    expect(await endpoint.refer(`<sip:${AGENT}@${DOMAIN}>`)).toBe(202);
    await until(() => endpoint.notifies.length === 3, 5000, 'final NOTIFY');
    expect(notifyCodes(endpoint)).toEqual([100, 180, 408]);
    expect(target.cancelled).toHaveLength(1);

    expect(await endpoint.refer(`<sip:+14155550105@${DOMAIN}>`)).toBe(202);
    await until(() => endpoint.byes.length === 1, 5000, 'BYE after the second transfer');
    expect(notifyCodes(endpoint).slice(3)).toEqual([100, 180, 200]);
    await customer.dialogs[0]?.request('BYE').response;
    await until(() => trunk.calls().length === 0, 5000);
    expect(trunk.records().map((r) => [r.kind, r.status])).toEqual([
      ['original', 200],
      ['transfer', 408],
      ['transfer', 200],
    ]);
  });

  it('the caller hangs up while the target rings: target cancelled, NOTIFY 487, BYE to the endpoint', async () => {
    const { endpoint, customer, target, trunk } = await startLab(cleanups, { target: { never: true } });
    expect(await endpoint.call(CUSTOMER)).toBe(200);
    expect(await endpoint.refer(`<sip:${AGENT}@${DOMAIN}>`)).toBe(202);
    await until(() => endpoint.notifies.length === 2, 5000, 'NOTIFY 180');
    await customer.dialogs[0]?.request('BYE').response;
    await until(() => endpoint.byes.length === 1, 5000, 'BYE to the endpoint');
    expect(notifyCodes(endpoint)).toEqual([100, 180, 487]);
    await until(() => target.cancelled.length === 1, 5000, 'target cancelled');
    await until(() => trunk.calls().length === 0, 5000);
  });

  it('flags a target with no codec in common with the customer (no audio after transfer)', async () => {
    const { endpoint, customer, trunk } = await startLab(cleanups, { target: { codec: 'PCMA' } });
    expect(await endpoint.call(CUSTOMER)).toBe(200);
    expect(await endpoint.refer(`<sip:${AGENT}@${DOMAIN}>`)).toBe(202);
    await until(() => endpoint.byes.length === 1, 5000, 'BYE to the endpoint');
    await customer.dialogs[0]?.request('BYE').response;
    await until(() => trunk.calls().length === 0, 5000);
    expect(trunk.records()[0]?.flags).toContain('no-common-codec');
  });
});

describe('unreachable Contact', () => {
  it('NOTIFYs time out and are recorded; the transfer still completes', async () => {
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => silent.close(() => r())));
    const { endpoint, customer, target, trunk } = await startLab(cleanups, {
      trunk: { sipTimers: { t1: 20 } },
      endpoint: { contact: `<sip:agent@127.0.0.1:${silent.address().port}>` },
    });
    expect(await endpoint.call(CUSTOMER)).toBe(200);
    expect(await endpoint.refer(`<sip:${AGENT}@${DOMAIN}>`)).toBe(202);
    expect(endpoint.notifies).toHaveLength(0);
    await until(() => customer.inDialog.some((r) => r.method === 'INVITE'), 5000, 'customer re-bridged');
    await until(
      () =>
        trunk.calls()[0] !== undefined &&
        trunk.events().some((e) => e.type === 'state' && e.detail?.startsWith('NOTIFY_FAILED') === true),
      10_000,
      'NOTIFY timeout recorded',
    );
    await customer.dialogs[0]?.request('BYE').response;
    await until(() => target.inDialog.some((r) => r.method === 'BYE'), 5000, 'BYE to the target');
    await until(() => trunk.calls().length === 0, 10_000);
    const notes = trunk.records()[0]?.notes ?? [];
    expect(notes.filter((n) => n.code === 'NOTIFY_FAILED').map((n) => n.status)).toContain(408);
    expect(endpoint.notifies).toHaveLength(0);
  });
});

describe('unreachable Contact with the default SIP timers', () => {
  it('a BYE still in flight to the dead Contact does not hold up the rest of the call', async () => {
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => silent.close(() => r())));
    const { endpoint, customer, target, trunk } = await startLab(cleanups, {
      endpoint: { contact: `<sip:agent@127.0.0.1:${silent.address().port}>` },
    });
    expect(await endpoint.call(CUSTOMER)).toBe(200);
    expect(await endpoint.refer(`<sip:${AGENT}@${DOMAIN}>`)).toBe(202);
    await until(() => customer.inDialog.some((r) => r.method === 'INVITE'), 5000, 'customer re-bridged');
    await until(
      () => trunk.events().some((e) => e.type === 'state' && e.state === 'bridged'),
      5000,
      'bridged',
    );
    // NOTIFYs and the BYE to the dead Contact retransmit for 32 s; the customer hangs up now.
    await customer.dialogs[0]?.request('BYE').response;
    await until(() => target.inDialog.some((r) => r.method === 'BYE'), 3000, 'BYE to the target at once');
    await until(() => trunk.calls().length === 0, 3000, 'call ended');
  });
});

describe('INVITE handling', () => {
  it('404 for an unknown number, 484 for a user that is not E.164', async () => {
    const { endpoint } = await startLab(cleanups);
    expect(await endpoint.call('+14155550999')).toBe(404);
    expect(await endpoint.call('alice')).toBe(484);
  });

  it('403 for a source address outside the ACL', async () => {
    const { endpoint, customer } = await startLab(cleanups, { trunk: { acl: ['10.0.0.0/8'] } });
    expect(await endpoint.call(CUSTOMER)).toBe(403);
    expect(customer.invites).toHaveLength(0);
  });

  it('relays the customer leg failure (486) to the endpoint', async () => {
    const { endpoint, trunk } = await startLab(cleanups, { customer: { status: 486 } });
    expect(await endpoint.call(CUSTOMER)).toBe(486);
    await until(() => trunk.calls().length === 0, 5000);
    expect(trunk.records()[0]).toMatchObject({ status: 486, kind: 'original' });
  });

  it('an endpoint CANCEL cancels the customer leg', async () => {
    const { endpoint, customer, trunk } = await startLab(cleanups, { customer: { never: true } });
    const address = trunk.addresses[0];
    if (!address) throw new Error('no address');
    const tx = endpoint.stack.sendRequest(
      {
        method: 'INVITE',
        uri: `sip:${CUSTOMER}@${DOMAIN}`,
        headers: { From: `<sip:+14155550199@${DOMAIN}>` },
      },
      { destination: { transport: 'udp', host: address.host, port: address.port } },
    );
    const ringing = new Promise<void>((resolve) =>
      tx.on('provisional', (r) => r.status === 180 && resolve()),
    );
    await ringing;
    tx.cancel();
    expect((await tx.response).status).toBe(487);
    await until(() => customer.cancelled.length === 1, 5000, 'customer CANCEL');
    await until(() => trunk.calls().length === 0, 5000);
  });
});
