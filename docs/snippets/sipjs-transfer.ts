import { startMockTrunk } from '@referkit/mock-trunk';
import { createNodeUserAgent, transfer } from '@referkit/sipjs';
import { Inviter, SessionState, UserAgent } from 'sip.js';

// A mock Plivo trunk on loopback, with simulated phones: +14155550100 is the customer,
// +14155550101 an agent who answers, +14155550102 an agent who is busy.
const trunk = await startMockTrunk({ media: 'none' });
const sip = trunk.addresses[0]!;
const domain = trunk.domain; // lab.zt.plivo.com; on Plivo: XXXXXXXXXXXX.zt.plivo.com

// Your AI agent: a SIP.js user agent running in Node, sending its SIP to the trunk.
const agent = await createNodeUserAgent({
  uri: `sip:agent@${domain}`,
  transport: { protocol: 'udp', server: { host: sip.host, port: sip.port } },
});

// 1. Call the customer through the trunk.
const call = new Inviter(agent.userAgent, UserAgent.makeURI(`sip:+14155550100@${domain}`)!);
const established = new Promise<void>((resolve) => {
  call.stateChange.addListener((state) => state === SessionState.Established && resolve());
});
await call.invite();
await established;
console.log('customer answered');

// 2. Hand the customer to a human: the busy agent first, then the one who answers.
const result = await transfer(call, ['+14155550102', '+14155550101'], {
  onProgress: (progress) => console.log(`transfer: ${progress.kind}`),
});
console.log(`outcome: ${result.kind} after ${result.attempts.length} attempts`);

// 3. On success the trunk bridges the customer to the agent and hangs up on us.
await new Promise<void>((resolve) => {
  if (call.state === SessionState.Terminated) resolve();
  call.stateChange.addListener((state) => state === SessionState.Terminated && resolve());
});
console.log('the trunk hung up our leg: the customer is with the agent');

await agent.stop();
await trunk.close();
