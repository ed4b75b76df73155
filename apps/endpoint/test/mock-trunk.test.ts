import { TRANSFEROR_HUNG_UP_EARLY_REASON } from '@referkit/core';
import { startMockTrunk, type MockTrunk } from '@referkit/mock-trunk';
import { TransferError } from '@referkit/sipjs';
import { afterEach, describe, expect, it } from 'vitest';
import { startEndpoint, type EndpointEvent, type EndpointHandle } from '../src/index.js';

const CUSTOMER = '+14155550100';
const AGENT = '+14155550101';
const BUSY = '+14155550102';
const NO_ANSWER = '+14155550103';
const DECLINE = '+14155550104';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function lab(transport: 'udp' | 'tcp' = 'udp'): Promise<{
  trunk: MockTrunk;
  endpoint: EndpointHandle;
  events: EndpointEvent[];
}> {
  const trunk = await startMockTrunk({ listen: [{ transport }], media: 'none', ringTimeoutMs: 1500 });
  cleanup.push(() => trunk.close());
  const address = trunk.addresses[0];
  if (!address) throw new Error('trunk has no address');
  const endpoint = await startEndpoint({
    trunk: { host: address.host, port: address.port },
    domain: trunk.domain,
    transport,
    notifyTimeoutMs: 10_000,
  });
  cleanup.push(() => endpoint.close());
  const events: EndpointEvent[] = [];
  endpoint.subscribe((e) => {
    if (e.type !== 'hearing') events.push(e);
  });
  return { trunk, endpoint, events };
}

const outcomes = (events: readonly EndpointEvent[]): string[] =>
  events.flatMap((e) =>
    e.type === 'transfer-outcome' ? [`${e.target} ${e.outcome} ${e.code ?? ''}`.trim()] : [],
  );

describe('the endpoint against the mock trunk (media none)', () => {
  it.each(['udp', 'tcp'] as const)(
    'transfers the customer to the agent over %s; the trunk hangs up',
    async (transport) => {
      const { endpoint } = await lab(transport);
      const call = await endpoint.call(CUSTOMER);
      const result = await endpoint.transfer(call.id, AGENT);
      expect(result).toMatchObject({ kind: 'succeeded', code: 200 });
      await expect(call.ended).resolves.toMatchObject({ by: 'trunk' });
      expect(endpoint.callState(call.id)?.status).toBe('transferred');
    },
  );

  it.each([
    { target: BUSY, code: 486 },
    { target: DECLINE, code: 603 },
    { target: NO_ANSWER, code: 408 },
  ])('target $target fails with $code: the call stays up', async ({ target, code }) => {
    const { endpoint } = await lab();
    const call = await endpoint.call(CUSTOMER);
    const result = await endpoint.transfer(call.id, target);
    expect(result).toMatchObject({ kind: 'failed', code });
    expect(endpoint.callState(call.id)).toMatchObject({ status: 'answered', ended: undefined });
    await endpoint.hangup(call.id);
    await expect(call.ended).resolves.toMatchObject({ by: 'endpoint' });
  });

  it('hunts: busy first, then the fallback agent answers', async () => {
    const { endpoint, events } = await lab();
    const call = await endpoint.call(CUSTOMER);
    const result = await endpoint.transfer(call.id, BUSY, { fallbacks: [AGENT] });
    expect(result.kind).toBe('succeeded');
    expect(result.attempts.map((a) => a.outcome.kind)).toEqual(['failed', 'succeeded']);
    expect(outcomes(events)).toEqual([`${BUSY} failed 486`, `${AGENT} succeeded 200`]);
    expect(
      events.filter((e) => e.type === 'transferring').map((e) => (e.type === 'transferring' ? e.target : '')),
    ).toEqual([BUSY, AGENT]);
  });

  it.each([
    { target: `sip:${AGENT}@elsewhere.example.com`, code: 403 },
    { target: 'sip:agent@lab.zt.plivo.com', code: 400 },
  ])('the trunk answers $code to REFER $target; the call stays up', async ({ target, code }) => {
    const { endpoint } = await lab();
    const call = await endpoint.call(CUSTOMER);
    const result = await endpoint.transfer(call.id, target, { validate: false });
    expect(result).toMatchObject({ kind: 'rejected', code });
    expect(endpoint.callState(call.id)?.status).toBe('answered');
  });

  it('validation refuses a foreign-domain target before sending; the call stays up', async () => {
    const { endpoint, events } = await lab();
    const call = await endpoint.call(CUSTOMER);
    const error = await endpoint
      .transfer(call.id, `sip:${AGENT}@elsewhere.example.com`)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransferError);
    expect((error as TransferError).code).toBe('INVALID_TARGET');
    expect(outcomes(events)).toEqual([`sip:${AGENT}@elsewhere.example.com rejected 403`]);
    expect(endpoint.callState(call.id)?.status).toBe('answered');
  });

  it('refuses to hang up mid-transfer; forcing it with early hang-up allowed drops the caller', async () => {
    const { trunk, endpoint, events } = await lab();
    const call = await endpoint.call(CUSTOMER);
    const running = endpoint.transfer(call.id, NO_ANSWER, { allowEarlyHangup: false });
    await waitFor(() => events.some((e) => e.type === 'transfer-progress'), 'transfer progress');
    await expect(endpoint.hangup(call.id)).rejects.toMatchObject({ code: 'HANG_UP_BEFORE_FINAL_NOTIFY' });
    await expect(running).resolves.toMatchObject({ kind: 'failed', code: 408 });

    // The opt-in reproduces the Plivo failure: BYE before the final NOTIFY drops the customer.
    const early = endpoint.transfer(call.id, NO_ANSWER, { allowEarlyHangup: true });
    await waitFor(() => events.filter((e) => e.type === 'transfer-progress').length >= 2, 'second attempt');
    await endpoint.hangup(call.id);
    await expect(early).resolves.toMatchObject({ kind: 'cancelled' });
    await waitFor(
      () =>
        trunk
          .records()
          .some((r) => r.kind === 'original' && r.hangupCause === TRANSFEROR_HUNG_UP_EARLY_REASON),
      'the trunk to record the dropped caller',
    );
  });

  it('reports a call that is not answered', async () => {
    const { endpoint, events } = await lab();
    await expect(endpoint.call(BUSY)).rejects.toMatchObject({ code: 'NOT_ANSWERED', status: 486 });
    expect(events.map((e) => e.type)).toContain('call-failed');
  });
});

function waitFor(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = (): void => {
      if (check()) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}
