/**
 * The shared behaviour suite of the signalling backends: the core rows of the trunk's Plivo
 * behaviour, run on whichever backend `startTrunk` puts under the trunk. Every backend must pass
 * it unchanged (sip-backend.test.ts, drachtio-backend.test.ts). Call it inside a `describe`.
 */
import { afterEach, expect, it } from 'vitest';
import type { MockTrunk, MockTrunkOptions } from '../../src/index.js';
import { AGENT, CUSTOMER, notifyCodes, startRawEndpoint, startRawPhone, until } from '../trunk/helpers.js';
import type { PhoneBehaviour, RawEndpoint, RawPhone } from '../trunk/helpers.js';

/** How the suite runs a trunk on the backend under test. */
export interface BehaviourTarget {
  /** Starts a trunk with `options` (media none, no phones, routes to the raw peers) on the backend. */
  readonly startTrunk: (options: MockTrunkOptions) => Promise<MockTrunk>;
  /** Address the raw endpoint and phones bind: it must be reachable from the backend's SIP side. */
  readonly peersHost: string;
  /** Time allowed per row (default 20 000 ms). */
  readonly timeoutMs?: number | undefined;
}

const DOMAIN = 'lab.zt.plivo.com';

interface Lab {
  trunk: MockTrunk;
  endpoint: RawEndpoint;
  customer: RawPhone;
  target: RawPhone;
}

/** Registers the rows (`it`) of the shared behaviour suite. */
export function behaviourSuite(target: BehaviourTarget): void {
  const timeout = target.timeoutMs ?? 20_000;
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });

  const startLab = async (
    options: { customer?: PhoneBehaviour; target?: PhoneBehaviour } = {},
  ): Promise<Lab> => {
    const customer = await startRawPhone(options.customer, target.peersHost);
    cleanups.push(() => customer.close());
    const agent = await startRawPhone(options.target, target.peersHost);
    cleanups.push(() => agent.close());
    const trunk = await target.startTrunk({
      media: 'none',
      phones: false,
      acl: ['127.0.0.0/8', '::1/128', `${target.peersHost}/${target.peersHost.includes(':') ? 128 : 32}`],
      routes: { [CUSTOMER]: customer.uri(CUSTOMER), [AGENT]: agent.uri(AGENT) },
    });
    cleanups.push(async () => {
      // Every row ends its calls: none, and no dialog, may be left before the trunk closes.
      await until(() => trunk.calls().length === 0 && trunk.activeDialogs() === 0, 10_000, 'no call left');
      expect(trunk.calls()).toEqual([]);
      await trunk.close();
    });
    const endpoint = await startRawEndpoint(trunk, { host: target.peersHost });
    cleanups.push(() => endpoint.close());
    return { trunk, endpoint, customer, target: agent };
  };

  it(
    'INVITE: the customer leg is placed and its 180 / 200 relayed to the endpoint',
    async () => {
      const { endpoint, customer } = await startLab();
      expect(await endpoint.call(CUSTOMER)).toBe(200);
      expect(endpoint.provisionals).toContain(180);
      expect(customer.invites).toHaveLength(1);
      expect(customer.invites[0]?.uri).toBe(customer.uri(CUSTOMER));
      expect(await endpoint.hangUp()).toBe(200);
      await until(() => customer.inDialog.some((r) => r.method === 'BYE'), 5000, 'BYE to the customer');
    },
    timeout,
  );

  it(
    'REFER: 202, NOTIFY 100 / 180 / 200 (Event refer;id=N, Subscription-State, message/sipfrag), then BYE',
    async () => {
      const { endpoint, customer, target: agent, trunk } = await startLab();
      expect(await endpoint.call(CUSTOMER)).toBe(200);
      expect(await endpoint.refer(`<sip:${AGENT}@${DOMAIN}>`)).toBe(202);
      await until(() => endpoint.byes.length === 1, 10_000, 'BYE to the endpoint');
      expect(notifyCodes(endpoint)).toEqual([100, 180, 200]);
      for (const n of endpoint.notifies) {
        expect(n.event).toMatch(/^refer;id=\d+$/);
        expect(n.contentType).toBe('message/sipfrag;version=2.0');
      }
      expect(endpoint.notifies[0]?.subscriptionState).toMatch(/^active/);
      expect(endpoint.notifies[2]?.subscriptionState).toMatch(/^terminated/);
      // The BYE comes after the NOTIFY 200.
      expect(endpoint.byeTimes[0]).toBeGreaterThanOrEqual(endpoint.notifies[2]?.at ?? Infinity);
      expect(agent.invites).toHaveLength(1);
      await until(() => customer.inDialog.some((r) => r.method === 'INVITE'), 5000, 're-INVITE');
      await customer.dialogs[0]?.request('BYE').response;
      await until(() => agent.inDialog.some((r) => r.method === 'BYE'), 5000, 'BYE to the target');
      await until(() => trunk.calls().length === 0, 5000, 'call ended');
      expect(trunk.records().map((r) => r.kind)).toEqual(['original', 'transfer']);
    },
    timeout,
  );

  it(
    'a busy target: NOTIFY 486 (terminated) and the call stays with the endpoint',
    async () => {
      const { endpoint, customer, trunk } = await startLab({ target: { status: 486 } });
      expect(await endpoint.call(CUSTOMER)).toBe(200);
      expect(await endpoint.refer(`<sip:${AGENT}@${DOMAIN}>`)).toBe(202);
      await until(() => endpoint.notifies.length === 3, 5000, 'final NOTIFY');
      expect(notifyCodes(endpoint)).toEqual([100, 180, 486]);
      expect(endpoint.notifies[2]?.subscriptionState).toMatch(/^terminated/);
      expect(endpoint.byes).toHaveLength(0);
      expect(customer.inDialog).toHaveLength(0);
      expect(await endpoint.hangUp()).toBe(200);
      await until(() => trunk.calls().length === 0, 5000, 'call ended');
    },
    timeout,
  );

  it(
    'a Refer-To in a foreign domain gets 403; no NOTIFY, no target leg',
    async () => {
      const { endpoint, target: agent } = await startLab();
      expect(await endpoint.call(CUSTOMER)).toBe(200);
      expect(await endpoint.refer(`<sip:${AGENT}@example.com>`)).toBe(403);
      expect(endpoint.notifies).toHaveLength(0);
      expect(agent.invites).toHaveLength(0);
      expect(await endpoint.hangUp()).toBe(200);
    },
    timeout,
  );

  it(
    'an in-dialog request for an unknown dialog gets 481',
    async () => {
      const { endpoint, trunk } = await startLab();
      const address = trunk.addresses.find((a) => a.transport === 'udp');
      if (!address) throw new Error('no udp address');
      const tx = endpoint.stack.sendRequest(
        {
          method: 'BYE',
          uri: `sip:${CUSTOMER}@${DOMAIN}`,
          headers: {
            From: `<sip:+14155550199@${DOMAIN}>;tag=nobody`,
            To: `<sip:${CUSTOMER}@${DOMAIN}>;tag=unknown-dialog`,
          },
        },
        { destination: { transport: 'udp', host: address.host, port: address.port } },
      );
      expect((await tx.response).status).toBe(481);
    },
    timeout,
  );

  it(
    'an early BYE (before NOTIFY 200) drops the customer and cancels the target',
    async () => {
      const { endpoint, customer, target: agent, trunk } = await startLab({ target: { never: true } });
      expect(await endpoint.call(CUSTOMER)).toBe(200);
      expect(await endpoint.refer(`<sip:${AGENT}@${DOMAIN}>`)).toBe(202);
      await until(() => endpoint.notifies.length === 2, 5000, 'NOTIFY 180');
      expect(await endpoint.hangUp()).toBe(200);
      await until(() => customer.inDialog.some((r) => r.method === 'BYE'), 5000, 'customer dropped');
      await until(() => agent.cancelled.length === 1, 5000, 'target cancelled');
      await until(() => trunk.calls().length === 0, 5000, 'call ended');
      expect(trunk.records()[0]?.notes.map((n) => n.code)).toContain('TRANSFEROR_HUNG_UP_EARLY');
    },
    timeout,
  );
}
