/**
 * Parse benchmark: messages per second over a corpus of realistic messages (INVITE with SDP, 200
 * with SDP, REFER, NOTIFY with sipfrag, BYE), for this engine, SIP.js's message parser
 * (`Parser.parseMessage`, 0.21.2) and the npm `sip` package's parser (0.0.6), measured in the same
 * run, rounds interleaved, medians printed with ratios. "parse" reads the headers every element
 * needs (Via, From, To, Call-ID, CSeq, Contact): SIP.js and `sip` decode them eagerly, this engine
 * on first access, so the benchmark accesses them. "parse + serialize" adds writing the message
 * back (`serializeMessage`, `sip.stringify`; SIP.js has no serializer for parsed messages).
 * Then the RFC 4475 corpus (13 valid, 19 invalid messages) is fed to each parser: how many valid
 * ones it accepts and how many invalid ones it refuses.
 *
 * Environment: BENCH_ROUNDS (default 7), BENCH_ROUND_MS (default 300).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { LoggerFactory, Parser } from 'sip.js/lib/core/index.js';
import { parseCSeq, parseMessage, parseNameAddr, parseVia, serializeMessage } from '../src/index.js';
import type { SipMessage } from '../src/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 300);

const SDP = [
  'v=0',
  'o=- 3912345678 3912345678 IN IP4 198.51.100.20',
  's=-',
  'c=IN IP4 198.51.100.20',
  't=0 0',
  'm=audio 40012 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=sendrecv',
  '',
].join('\r\n');

function message(start: string, headers: string[], body = ''): string {
  return `${start}\r\n${headers.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

const common = (method: string, seq: number, toTag = ''): string[] => [
  'Via: SIP/2.0/UDP 198.51.100.20:5060;branch=z9hG4bK776asdhds;rport',
  'Via: SIP/2.0/UDP 203.0.113.7:5080;branch=z9hG4bKnashds8;received=203.0.113.7',
  'Max-Forwards: 69',
  'From: "Agent" <sip:agent@198.51.100.20>;tag=1928301774',
  `To: <sip:+14155550100@trunk.zt.plivo.com>${toTag}`,
  'Call-ID: a84b4c76e66710@198.51.100.20',
  `CSeq: ${seq} ${method}`,
];

const CORPUS: string[] = [
  message(
    'INVITE sip:+14155550100@trunk.zt.plivo.com SIP/2.0',
    [
      ...common('INVITE', 1),
      'Contact: <sip:agent@198.51.100.20:5060;transport=udp>',
      'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REFER, NOTIFY',
      'Supported: replaces, timer',
      'User-Agent: referkit-endpoint/1.0',
      'Content-Type: application/sdp',
    ],
    SDP,
  ),
  message(
    'SIP/2.0 200 OK',
    [
      ...common('INVITE', 1, ';tag=as6151ad25'),
      'Record-Route: <sip:203.0.113.7:5080;lr>',
      'Contact: <sip:+14155550100@203.0.113.9:5060>',
      'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REFER, NOTIFY',
      'Server: trunk',
      'Content-Type: application/sdp',
    ],
    SDP,
  ),
  message('REFER sip:+14155550100@203.0.113.9:5060 SIP/2.0', [
    ...common('REFER', 2, ';tag=as6151ad25'),
    'Route: <sip:203.0.113.7:5080;lr>',
    'Contact: <sip:agent@198.51.100.20:5060>',
    'Refer-To: <sip:+14155551234@trunk.zt.plivo.com>',
    'Referred-By: <sip:agent@198.51.100.20>',
  ]),
  message(
    'NOTIFY sip:agent@198.51.100.20:5060 SIP/2.0',
    [
      ...common('NOTIFY', 102, ';tag=as6151ad25'),
      'Contact: <sip:+14155550100@203.0.113.9:5060>',
      'Event: refer',
      'Subscription-State: active;expires=60',
      'Content-Type: message/sipfrag;version=2.0',
    ],
    'SIP/2.0 180 Ringing\r\n',
  ),
  message('BYE sip:+14155550100@203.0.113.9:5060 SIP/2.0', [
    ...common('BYE', 3, ';tag=as6151ad25'),
    'Route: <sip:203.0.113.7:5080;lr>',
  ]),
];
const BUFFERS = CORPUS.map((s) => Buffer.from(s, 'latin1'));

// ------------------------------------------------------------------ the three parsers

function oursParse(buf: Buffer): SipMessage | undefined {
  const r = parseMessage(buf);
  if (!r.ok) return undefined;
  const h = r.value.headers;
  parseVia(h.getList('via')[0] ?? '');
  parseNameAddr(h.get('from') ?? '', 'From');
  parseNameAddr(h.get('to') ?? '', 'To');
  h.get('call-id');
  parseCSeq(h.get('cseq') ?? '');
  const contact = h.get('contact');
  if (contact !== undefined) parseNameAddr(contact, 'Contact');
  return r.value;
}

const sipjsLogger = (() => {
  const factory = new LoggerFactory();
  factory.builtinEnabled = false;
  return factory.getLogger('sip.parser');
})();
const sipjsParse = (text: string): unknown => Parser.parseMessage(text, sipjsLogger);

interface NpmSip {
  parse(data: Buffer | string): unknown;
  stringify(message: unknown): string;
}
const npmSip = createRequire(import.meta.url)('sip') as NpmSip;
const npmParse = (buf: Buffer): unknown => {
  try {
    return npmSip.parse(buf);
  } catch {
    return undefined;
  }
};

interface Contender {
  readonly name: string;
  /** One unit of work on message i; returns something so nothing is optimised away. */
  readonly parse: (i: number) => unknown;
  readonly parseSerialize: ((i: number) => unknown) | undefined;
  /** RFC 4475 check: accepted (true) or refused (false). */
  readonly accepts: (bytes: Buffer) => boolean;
}

const TEXTS = CORPUS;
const contenders: Contender[] = [
  {
    name: '@referkit/sip',
    parse: (i) => oursParse(BUFFERS[i]!),
    parseSerialize: (i) => {
      const m = oursParse(BUFFERS[i]!);
      return m === undefined ? undefined : serializeMessage(m);
    },
    accepts: (b) => parseMessage(b, { strict: true }).ok,
  },
  {
    name: 'sip.js 0.21.2 (Parser)',
    // SIP.js parses strings (its transports decode first); the decoding is not counted.
    parse: (i) => sipjsParse(TEXTS[i]!),
    parseSerialize: undefined,
    accepts: (b) => sipjsParse(b.toString('utf8')) !== undefined,
  },
  {
    name: 'sip 0.0.6 (npm)',
    parse: (i) => npmParse(BUFFERS[i]!),
    parseSerialize: (i) => {
      const m = npmParse(BUFFERS[i]!);
      return m === undefined ? undefined : npmSip.stringify(m);
    },
    accepts: (b) => npmParse(b) !== undefined,
  },
];

// ------------------------------------------------------------------ measuring

let sink = 0;
function rate(fn: (i: number) => unknown, ms: number): number {
  const n = BUFFERS.length;
  let count = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let k = 0; k < 200; k++) {
      if (fn(count % n) !== undefined) sink++;
      count++;
    }
    now = process.hrtime.bigint();
  }
  return count / (Number(now - start) / 1e9);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

// Every parser must accept the corpus, or the figures compare different work.
for (const c of contenders) {
  for (let i = 0; i < BUFFERS.length; i++) {
    if (c.parse(i) === undefined) throw new Error(`${c.name} refused corpus message ${i}`);
  }
}

const parseRuns = contenders.map(() => [] as number[]);
const serRuns = contenders.map(() => [] as number[]);
for (const c of contenders) {
  rate(c.parse, 200); // warm-up
  if (c.parseSerialize !== undefined) rate(c.parseSerialize, 200);
}
for (let round = 0; round < ROUNDS; round++) {
  contenders.forEach((c, k) => {
    parseRuns[k]!.push(rate(c.parse, ROUND_MS));
    if (c.parseSerialize !== undefined) serRuns[k]!.push(rate(c.parseSerialize, ROUND_MS));
  });
}

// The bundle runs from node_modules/.bench; pnpm runs the script in the package directory.
const dir = join(process.cwd(), 'fixtures/rfc4475/');
const load = (kind: string): Buffer[] =>
  readdirSync(`${dir}${kind}`)
    .filter((f) => f.endsWith('.sip'))
    .map((f) => readFileSync(`${dir}${kind}/${f}`));
const valid = load('valid');
const invalid = load('invalid');

const oursParseMedian = median(parseRuns[0]!);
const oursSerMedian = median(serRuns[0]!);
const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
const rows = contenders.map((c, k) => {
  const p = median(parseRuns[k]!);
  const s = serRuns[k]!.length > 0 ? median(serRuns[k]!) : undefined;
  return {
    parser: c.name,
    'parse msg/s (median)': fmt(p),
    'ours / this (parse)': (oursParseMedian / p).toFixed(2),
    'parse+serialize msg/s': s === undefined ? 'n/a' : fmt(s),
    'ours / this (p+s)': s === undefined ? 'n/a' : (oursSerMedian / s).toFixed(2),
    'RFC 4475 valid accepted': `${valid.filter((b) => c.accepts(b)).length}/${valid.length}`,
    'RFC 4475 invalid refused': `${invalid.filter((b) => !c.accepts(b)).length}/${invalid.length}`,
  };
});
process.stdout.write(
  `Parse throughput over ${BUFFERS.length} realistic messages (INVITE+SDP, 200+SDP, REFER, NOTIFY sipfrag, BYE); ` +
    `${ROUNDS} rounds of ${ROUND_MS} ms, Node ${process.version}\n`,
);
console.table(rows);
process.stdout.write(
  'Goal: ours / sip.js >= 3.00 (parse), RFC 4475 at least as many accepted and refused as sip.js\n',
);
if (sink < 0) process.stdout.write('unreachable\n');
