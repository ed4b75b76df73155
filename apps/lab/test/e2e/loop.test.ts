import { startEndpoint, type EndpointHandle, type EndpointOptions } from '@referkit/endpoint';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab } from '../../src/lab.js';
import { LAB_NUMBERS, labTargets } from '../../src/targets.js';

/**
 * The seed's tables, row by row, against the running lab: the mock trunk with its simulated
 * phones, real RTP through a supervised rtpengine, and the reference endpoint. What each party
 * hears is tone detection on the RTP it receives (agent 600 Hz, customer 1000 Hz, target 800 Hz).
 */
let lab: Lab;
const referTo = (id: string): string => {
  const target = labTargets(lab.trunk.domain).find((t) => t.id === id);
  if (!target) throw new Error(`no lab target ${id}`);
  return target.referTo;
};
const phones = () => {
  const bank = lab.trunk.phoneBank;
  if (!bank) throw new Error('the lab runs without simulated phones');
  return bank;
};

async function callCustomer(
  endpoint: EndpointHandle = lab.endpoint,
): Promise<{ id: string; ended: Promise<{ by: string; reason: string }> }> {
  const since = Date.now();
  const call = await endpoint.call(LAB_NUMBERS.customer);
  // The customer hears the agent before any transfer.
  await phones().waitForHeard(LAB_NUMBERS.customer, 'tone:600', { since, minMs: 300, timeoutMs: 15_000 });
  return call;
}

/** A second endpoint against the lab's trunk, for rows the lab's own endpoint is not set up for. */
const extraEndpoints: EndpointHandle[] = [];
async function extraEndpoint(options: Partial<EndpointOptions>): Promise<EndpointHandle> {
  const address = lab.trunk.addresses[0];
  if (!address) throw new Error('the trunk reported no SIP address');
  const endpoint = await startEndpoint({
    trunk: { host: address.host, port: address.port },
    domain: lab.trunk.domain,
    local: { host: '127.0.0.1', port: 0 },
    ...options,
  });
  extraEndpoints.push(endpoint);
  return endpoint;
}

beforeAll(async () => {
  lab = await startLab({ sipPort: 0, httpPort: 0, media: 'rtpengine' });
}, 60_000);

afterEach(async () => {
  for (const endpoint of extraEndpoints.splice(0)) await endpoint.close();
  for (const call of lab.endpoint.calls()) {
    if (call.status !== 'ended') await lab.endpoint.hangup(call.id, { force: true }).catch(() => undefined);
  }
  // A transferred customer stays with the target: hang up, so the next row hears only its own call.
  await phones().hangup();
  // Each row leaves nothing behind: no trunk call, no rtpengine session.
  await expect.poll(() => lab.trunk.calls().length, { timeout: 15_000 }).toBe(0);
  await expect.poll(() => lab.trunk.rtpengine?.list(), { timeout: 5_000 }).toEqual([]);
});

/**
 * rtpengine's packet counts on the transfer leg (customer <-> target), by party. The trunk anchors
 * it as its own rtpengine call, `<trunk call>~<target tag>`, tagged by the customer's and the
 * target's From/To tags.
 */
async function transferLegPackets(): Promise<{ customer: number; target: number }> {
  const rtpengine = lab.trunk.rtpengine;
  if (!rtpengine) throw new Error('the lab runs without rtpengine');
  const legs = (await rtpengine.list()).filter((id) => id.includes('~'));
  expect(legs).toHaveLength(1);
  const [callId = '', targetTag = ''] = (legs[0] ?? '').split('~');
  const query = await rtpengine.query({ callId: `${callId}~${targetTag}` });
  const target = query.tags[targetTag]?.packets ?? 0;
  const others = Object.values(query.tags).filter((t) => t.tag !== targetTag);
  expect(others).toHaveLength(1);
  return { customer: others[0]?.packets ?? 0, target };
}

afterAll(async () => {
  const rtpengine = lab?.trunk.rtpengine;
  if (rtpengine) {
    // Every call ended: rtpengine holds no session (the trunk deletes them on hang-up).
    await lab.trunk.close();
    expect(lab.trunk.activeDialogs()).toBe(0);
  }
  await lab?.close();
});

describe('the lab loop with real RTP', () => {
  it('success: 202, NOTIFY 100/180/200, the customer hears ring-back then the target, the endpoint gets BYE', async () => {
    const call = await callCustomer();
    const since = Date.now();
    const result = await lab.endpoint.transfer(call.id, referTo('agent'));
    expect(result.kind).toBe('succeeded');
    expect(await call.ended).toMatchObject({ by: 'trunk' });
    await phones().waitForHeard(LAB_NUMBERS.customer, 'ringback', { since, minMs: 200, timeoutMs: 15_000 });
    await phones().waitForHeard(LAB_NUMBERS.customer, 'tone:800', { since, minMs: 500, timeoutMs: 15_000 });
    await phones().waitForHeard(LAB_NUMBERS.agent, 'tone:1000', { since, minMs: 500, timeoutMs: 15_000 });
    // After the re-bridge the customer no longer hears the endpoint.
    const after = Date.now();
    const before = await transferLegPackets();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(phones().heardMs(LAB_NUMBERS.customer, 'tone:600', after)).toBe(0);
    // rtpengine relays both ways on the transfer leg: about 50 packets a second from each party.
    const later = await transferLegPackets();
    expect(later.customer - before.customer).toBeGreaterThan(25);
    expect(later.target - before.target).toBeGreaterThan(25);
    const notifies = lab.trunk
      .events()
      .filter((e) => e.type === 'sip' && e.direction === 'out' && e.summary === 'NOTIFY' && e.at >= since)
      .map((e) => (e.type === 'sip' ? /SIP\/2\.0 (\d{3})/.exec(e.raw.split('\r\n\r\n')[1] ?? '')?.[1] : ''));
    expect([...new Set(notifies)]).toEqual(['100', '180', '200']);
  });

  it.each([
    ['busy', 486],
    ['decline', 603],
    ['no-answer', 408],
  ])(
    '%s target: NOTIFY %i, the caller stays with the endpoint, a second REFER succeeds',
    async (id, code) => {
      const call = await callCustomer();
      const failed = await lab.endpoint.transfer(call.id, referTo(id));
      expect(failed).toMatchObject({ kind: 'failed', code });
      expect(lab.endpoint.callState(call.id)?.status).not.toBe('ended');
      const since = Date.now();
      await phones().waitForHeard(LAB_NUMBERS.customer, 'tone:600', { since, minMs: 300, timeoutMs: 15_000 });
      const second = await lab.endpoint.transfer(call.id, referTo('agent'));
      expect(second.kind).toBe('succeeded');
      await phones().waitForHeard(LAB_NUMBERS.customer, 'tone:800', { since, minMs: 300, timeoutMs: 15_000 });
    },
  );

  it.each([
    ['foreign-domain', 403],
    ['private-ip', 403],
    ['geo', 403],
    ['malformed', 400],
  ])('%s Refer-To: the trunk answers %i and the call stays up with its audio', async (id, code) => {
    const call = await callCustomer();
    const result = await lab.endpoint.transfer(call.id, referTo(id), { validate: false });
    expect(result).toMatchObject({ kind: 'rejected', code });
    const since = Date.now();
    await phones().waitForHeard(LAB_NUMBERS.customer, 'tone:600', { since, minMs: 300, timeoutMs: 15_000 });
  });

  it('early BYE: hanging up before NOTIFY 200 drops the caller and cancels the target leg', async () => {
    const call = await callCustomer();
    const pending = lab.endpoint.transfer(call.id, referTo('no-answer'), { allowEarlyHangup: true });
    await lab.trunk.waitFor(
      (e) => e.type === 'sip' && e.leg === 'target' && e.summary.startsWith('180'),
      15_000,
    );
    await lab.endpoint.hangup(call.id, { force: true });
    expect((await pending).kind).toBe('cancelled');
    const customerCall = phones().calls(LAB_NUMBERS.customer).at(-1);
    await expect
      .poll(() => phones().calls(LAB_NUMBERS.customer).at(-1)?.state, { timeout: 10_000 })
      .toBe('ended');
    expect(customerCall).toBeDefined();
    await expect
      .poll(() => phones().calls(LAB_NUMBERS.noAnswer).at(-1)?.state, { timeout: 10_000 })
      .toBe('cancelled');
    await expect
      .poll(() => JSON.stringify(lab.trunk.records()), { timeout: 10_000 })
      .toContain('transferor hung up before the transfer completed');
  });

  it('music on hold: the endpoint holds the customer with its own music before the REFER; the target follows', async () => {
    const endpoint = await extraEndpoint({ holdAudio: { kind: 'tone', hz: 1400 } });
    const call = await callCustomer(endpoint);
    const heldAt = Date.now();
    await endpoint.hold(call.id, true);
    await phones().waitForHeard(LAB_NUMBERS.customer, 'tone:1400', {
      since: heldAt,
      minMs: 500,
      timeoutMs: 15_000,
    });
    // Held: the customer no longer hears the agent's own voice.
    const held = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(phones().heardMs(LAB_NUMBERS.customer, 'tone:600', held)).toBe(0);
    const referAt = Date.now();
    const result = await endpoint.transfer(call.id, referTo('agent'));
    expect(result.kind).toBe('succeeded');
    await phones().waitForHeard(LAB_NUMBERS.customer, 'tone:800', {
      since: referAt,
      minMs: 500,
      timeoutMs: 15_000,
    });
    expect(await call.ended).toMatchObject({ by: 'trunk' });
  });

  it('wrong Contact: 202 but no NOTIFY reaches the endpoint (they go to its advertised Contact); the customer still reaches the target', async () => {
    // Advertises 127.0.0.2, where nothing listens; it listens on 127.0.0.1.
    const endpoint = await extraEndpoint({ contactHost: '127.0.0.2', notifyTimeoutMs: 4000 });
    expect(endpoint.contact).toContain('127.0.0.2');
    const call = await callCustomer(endpoint);
    const referAt = Date.now();
    const result = await endpoint.transfer(call.id, referTo('agent'));
    expect(result.kind).toBe('timedOut');
    const sentTo = lab.trunk
      .events()
      .filter((e) => e.type === 'sip' && e.direction === 'out' && e.summary === 'NOTIFY' && e.at >= referAt)
      .map((e) => (e.type === 'sip' ? e.remote : ''));
    expect(sentTo.length).toBeGreaterThan(0);
    for (const remote of sentTo) expect(remote).toMatch(/^127\.0\.0\.2:/);
    // The trunk completes the transfer all the same: the customer hears the target.
    await phones().waitForHeard(LAB_NUMBERS.customer, 'tone:800', {
      since: referAt,
      minMs: 500,
      timeoutMs: 15_000,
    });
  });

  it('codec mismatch: the PCMA-only target answers and the transfer completes, but the customer hears nothing (record flagged)', async () => {
    const call = await callCustomer();
    const result = await lab.endpoint.transfer(call.id, referTo('codec-mismatch'));
    expect(result.kind).toBe('succeeded');
    expect(await call.ended).toMatchObject({ by: 'trunk' });
    await expect
      .poll(() => phones().calls(LAB_NUMBERS.pcmaAgent).at(-1)?.state, { timeout: 10_000 })
      .toBe('answered');
    const answeredAt = phones().calls(LAB_NUMBERS.pcmaAgent).at(-1)?.answeredAt ?? Date.now();
    // The target plays its tone and the customer's phone (PCMU only) decodes none of it.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(phones().heardMs(LAB_NUMBERS.customer, 'tone:800', answeredAt)).toBe(0);
    expect(phones().heardMs(LAB_NUMBERS.pcmaAgent, 'tone:1000', answeredAt)).toBe(0);
    // rtpengine receives the target's A-law; the customer, who refused the re-INVITE to it, still
    // sends to the endpoint's leg, so nothing of its reaches the transfer leg.
    const legs = await transferLegPackets();
    expect(legs.target).toBeGreaterThan(50);
    expect(legs.customer).toBe(0);
    // The records are written when the call ends.
    await phones().hangup(LAB_NUMBERS.customer);
    await expect
      .poll(
        () =>
          lab.trunk
            .records()
            .filter((r) => r.flags.includes('no-common-codec'))
            .map((r) => r.kind)
            .sort(),
        { timeout: 10_000 },
      )
      .toEqual(['original', 'transfer']);
  });
});
