import { startMockTrunk, type MockTrunk, type SipTraceEvent, type TrunkEvent } from '@referkit/mock-trunk';
import { createNodeUserAgent, transfer, TransferError } from '@referkit/sipjs';
import { Inviter, SessionState, UserAgent, type Session } from 'sip.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The numbers of the mock trunk's simulated phones.
const CUSTOMER = '+14155550100';
const AGENT = '+14155550101';
const BUSY_AGENT = '+14155550102';
const AGENT_WHO_NEVER_ANSWERS = '+14155550103';

let trunk: MockTrunk;
let agent: Awaited<ReturnType<typeof createNodeUserAgent>>;

beforeAll(async () => {
  // Signalling only (no rtpengine needed), on a free loopback port.
  trunk = await startMockTrunk({ media: 'none' });
  const sip = trunk.addresses[0]!;
  agent = await createNodeUserAgent({
    uri: `sip:agent@${trunk.domain}`,
    transport: { protocol: 'udp', server: { host: sip.host, port: sip.port } },
  });
});

afterAll(async () => {
  await agent?.stop();
  await trunk?.close(); // hangs up whatever is left and frees every socket
});

/**
 * Calls the customer through the trunk, as your agent does, and waits for the answer. Returns the
 * SIP.js session and the trunk's id for the call, which tags every trunk event of this call.
 */
async function callCustomer(): Promise<{ call: Inviter; id: string }> {
  const call = new Inviter(agent.userAgent, UserAgent.makeURI(`sip:${CUSTOMER}@${trunk.domain}`)!);
  const established = new Promise<void>((resolve) => {
    call.stateChange.addListener((state) => state === SessionState.Established && resolve());
  });
  await call.invite();
  await established;
  const callId = call.request.callId;
  const first = await trunk.waitFor<SipTraceEvent>(
    (e) => e.type === 'sip' && e.callId === callId && e.call !== undefined,
  );
  return { call, id: first.call! };
}

/**
 * The first event of trunk call `id` that matches. `trunk.waitFor` also matches events that
 * happened earlier, so on a trunk shared by several tests, always narrow it to your call.
 */
function waitOnCall(id: string, match: (e: TrunkEvent) => boolean): Promise<TrunkEvent> {
  return trunk.waitFor((e) => 'call' in e && e.call === id && match(e));
}

function ended(call: Session): Promise<void> {
  return new Promise((resolve) => {
    if (call.state === SessionState.Terminated) resolve();
    call.stateChange.addListener((state) => state === SessionState.Terminated && resolve());
  });
}

describe('transfers through the mock trunk', () => {
  it('hands the customer to an agent, and the trunk hangs up our leg', async () => {
    const { call, id } = await callCustomer();
    const result = await transfer(call, AGENT);
    expect(result.kind).toBe('succeeded');
    await ended(call); // the trunk's BYE, after NOTIFY 200
    // The customer is now bridged to the agent.
    await waitOnCall(id, (e) => e.type === 'state' && e.state === 'transferred');
  });

  it('keeps the customer when the agent is busy', async () => {
    const { call } = await callCustomer();
    const result = await transfer(call, BUSY_AGENT);
    expect(result).toMatchObject({ kind: 'failed', code: 486 });
    expect(call.state).toBe(SessionState.Established); // still talking to the customer
    await call.bye();
  });

  it('refuses a private-IP target before sending anything, as the trunk would (403)', async () => {
    const { call } = await callCustomer();
    const refused = await transfer(call, `sip:${AGENT}@192.168.1.20`).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(TransferError);
    expect(refused).toMatchObject({
      code: 'INVALID_TARGET',
      referToError: { status: 403, code: 'PRIVATE_ADDRESS' },
    });

    // Sent anyway, the trunk answers the REFER 403 and the call stays up.
    const result = await transfer(call, `sip:${AGENT}@192.168.1.20`, { validate: false });
    expect(result).toMatchObject({ kind: 'rejected', code: 403 });
    expect(call.state).toBe(SessionState.Established);
    await call.bye();
  });

  it('drops the customer when the agent hangs up before NOTIFY 200 (the Plivo rule)', async () => {
    const { call, id } = await callCustomer();
    const pending = transfer(call, AGENT_WHO_NEVER_ANSWERS, { allowEarlyHangup: true });
    await waitOnCall(id, (e) => e.type === 'sip' && e.summary === 'NOTIFY' && e.raw.includes('180 Ringing'));
    await call.bye(); // allowed only because of allowEarlyHangup
    expect((await pending).kind).toBe('cancelled');

    // The trunk stops the ringing target and hangs up on the customer.
    const sent = (leg: string, summary: string) => (e: TrunkEvent) =>
      e.type === 'sip' && e.direction === 'out' && e.leg === leg && e.summary === summary;
    await waitOnCall(id, sent('target', 'CANCEL'));
    await waitOnCall(id, sent('customer', 'BYE'));
    const record = await waitOnCall(
      id,
      (e) => e.type === 'record' && /before the transfer completed/.test(JSON.stringify(e.record)),
    );
    expect(record.type).toBe('record');
  });
});
