import { startMockTrunk } from '@referkit/mock-trunk';
import { transfer } from '@referkit/drachtio';
import Srf from 'drachtio-srf';

// A drachtio-server to drive (host:port:secret), e.g. the one `docker compose up` starts.
const [host = '127.0.0.1', port = '9022', secret = 'cymru'] = (process.env.DRACHTIO_HOST ?? '').split(':');

// The trunk standing in for Plivo (on Plivo: XXXXXXXXXXXX.zt.plivo.com); drachtio-server must reach
// it. With the compose lab, its mock trunk: DRACHTIO_TRUNK=172.30.47.15:5060. Otherwise a mock
// trunk started here on loopback, for a drachtio-server on this host's network.
const local = process.env.DRACHTIO_TRUNK
  ? undefined
  : await startMockTrunk({ media: 'none', listen: [{ transport: 'udp', host: '127.0.0.1' }] });
const trunkAt = process.env.DRACHTIO_TRUNK ?? `${local!.addresses[0]!.host}:${local!.addresses[0]!.port}`;
const domain = local?.domain ?? 'lab.zt.plivo.com';

const srf = new Srf();
// connect() reports through the 'connect' and 'error' events (its typings say Promise; it returns none).
void srf.connect({ host, port: Number(port), secret });
await new Promise<void>((resolve, reject) => {
  srf.once('connect', () => resolve());
  srf.once('error', reject);
});

// 1. Call the customer through the trunk.
const localSdp = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 40000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\r\n');
const dialog = await srf.createUAC(`sip:+14155550100@${trunkAt}`, { localSdp });
console.log('customer answered');

// 2. Hand the customer to a human: the busy agent first, then the one who answers.
const result = await transfer(dialog, ['+14155550102', '+14155550101'], {
  domain,
  onProgress: (progress) => console.log(`transfer: ${progress.kind}`),
});
console.log(`outcome: ${result.kind} after ${result.attempts.length} attempts`);

srf.disconnect();
await local?.close();
