import { createSipStack } from '@referkit/sip';
import type { Dialog, IncomingRequest, SipStack, StackRequest } from '@referkit/sip';
import { expect } from 'vitest';
import { startMockTrunk } from '../../src/index.js';
import type { MockTrunk, MockTrunkOptions } from '../../src/index.js';

/** The lab's customer number. */
export const CUSTOMER = '+14155550100';
/** The lab's answering agent number (transfer target). */
export const AGENT = '+14155550101';

/** A minimal SDP offer/answer for signalling tests (no RTP is sent with media 'none'). */
export function sdp(port: number, codec: 'PCMU' | 'PCMA' = 'PCMU'): string {
  const pt = codec === 'PCMU' ? 0 : 8;
  return [
    'v=0',
    `o=- ${port} 1 IN IP4 127.0.0.1`,
    's=-',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${port} RTP/AVP ${pt}`,
    `a=rtpmap:${pt} ${codec}/8000`,
    'a=sendrecv',
    '',
  ].join('\r\n');
}

/** Waits until `check` is true (polling every 10 ms), or throws after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** How a raw phone (UAS) answers INVITEs. */
export interface PhoneBehaviour {
  /** Final status (default 200). */
  readonly status?: number;
  /** Delay before the final response, ms (default 50). */
  readonly afterMs?: number;
  /** Send 180 first (default true). */
  readonly ring?: boolean;
  /** Never answer (ring until CANCEL). */
  readonly never?: boolean;
  /** SDP codec (default PCMU). */
  readonly codec?: 'PCMU' | 'PCMA';
}

/** A raw SIP UAS on @referkit/sip standing in for a customer or a transfer target. */
export interface RawPhone {
  readonly stack: SipStack;
  readonly port: number;
  readonly invites: IncomingRequest[];
  readonly inDialog: { method: string; request: IncomingRequest }[];
  readonly dialogs: Dialog[];
  readonly cancelled: IncomingRequest[];
  uri(number: string): string;
  close(): Promise<void>;
}

/** Starts a raw phone. */
/** Starts a raw phone on `host` (default 127.0.0.1; elsewhere when the trunk's SIP runs on another machine). */
export async function startRawPhone(behaviour: PhoneBehaviour = {}, host = '127.0.0.1'): Promise<RawPhone> {
  const stack = await createSipStack({ listen: [{ transport: 'udp', host, port: 0 }] });
  const port = stack.addresses[0]?.port ?? 0;
  const phone: RawPhone = {
    stack,
    port,
    invites: [],
    inDialog: [],
    dialogs: [],
    cancelled: [],
    uri: (number) => `sip:${number}@${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () => stack.close(),
  };
  const timers = new Set<NodeJS.Timeout>();
  stack.on('request', (req) => {
    if (req.method !== 'INVITE') {
      req.respond(405);
      return;
    }
    phone.invites.push(req);
    req.on('cancel', () => phone.cancelled.push(req));
    if (behaviour.ring ?? true) req.respond(180, 'Ringing');
    if (behaviour.never) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (req.finalSent) return;
      const status = behaviour.status ?? 200;
      if (status !== 200) {
        req.respond(status);
        return;
      }
      const dialog = req.respond(200, 'OK', {
        headers: { 'Content-Type': 'application/sdp' },
        body: sdp(30000 + phone.invites.length * 2, behaviour.codec ?? 'PCMU'),
      });
      if (!dialog) return;
      phone.dialogs.push(dialog);
      dialog.on('request', (r) => {
        phone.inDialog.push({ method: r.method, request: r });
        if (r.method === 'INVITE') {
          r.respond(200, 'OK', {
            headers: { 'Content-Type': 'application/sdp' },
            body: sdp(31000, behaviour.codec ?? 'PCMU'),
          });
        } else r.respond(200);
      });
    }, behaviour.afterMs ?? 50);
    timers.add(timer);
  });
  return {
    ...phone,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      await stack.close();
    },
  };
}

/** A NOTIFY the endpoint received. */
export interface ReceivedNotify {
  readonly event: string | undefined;
  readonly subscriptionState: string | undefined;
  readonly contentType: string | undefined;
  readonly body: string;
  readonly at: number;
}

/** A raw endpoint (the AI agent side) on @referkit/sip. */
export interface RawEndpoint {
  readonly stack: SipStack;
  readonly notifies: ReceivedNotify[];
  readonly byes: StackRequest[];
  /** When each BYE arrived (epoch ms). */
  readonly byeTimes: number[];
  /** Provisional statuses of the last INVITE, in order. */
  readonly provisionals: number[];
  dialog: Dialog | undefined;
  /** INVITE sip:<number>@<domain> through the trunk; resolves with the final status. */
  call(
    number: string,
    extra?: { from?: string; body?: string; headers?: Record<string, string> },
  ): Promise<number>;
  /** REFER in the dialog; resolves with the REFER's final status. */
  refer(referTo: string | readonly string[] | undefined): Promise<number>;
  /** BYE in the dialog. */
  hangUp(): Promise<number>;
  close(): Promise<void>;
}

/** Starts a raw endpoint pointed at a trunk. `notifyReply` lets a test refuse NOTIFYs. */
export async function startRawEndpoint(
  trunk: MockTrunk,
  options: {
    transport?: 'udp' | 'tcp';
    contact?: string;
    credentials?: { username: string; password: string };
    /** Address to bind (default 127.0.0.1). */
    host?: string;
  } = {},
): Promise<RawEndpoint> {
  const transport = options.transport ?? 'udp';
  const stack = await createSipStack({ listen: [{ transport, host: options.host ?? '127.0.0.1', port: 0 }] });
  const address = trunk.addresses.find((a) => a.transport === transport);
  if (!address) throw new Error(`trunk has no ${transport} address`);
  const ep: RawEndpoint = {
    stack,
    notifies: [],
    byes: [],
    byeTimes: [],
    provisionals: [],
    dialog: undefined,
    async call(number, extra = {}) {
      const port = stack.addresses[0]?.port ?? 0;
      const headers: Record<string, string> = {
        From: `<sip:${extra.from ?? '+14155550199'}@${trunk.domain}>`,
        'Content-Type': 'application/sdp',
        ...(options.contact ? { Contact: options.contact } : {}),
        ...extra.headers,
      };
      const tx = stack.sendRequest(
        {
          method: 'INVITE',
          uri: `sip:${number}@${trunk.domain}`,
          headers,
          body: extra.body ?? sdp(port + 1),
        },
        {
          destination: { transport, host: address.host, port: address.port },
          ...(options.credentials ? { credentials: options.credentials } : {}),
        },
      );
      ep.provisionals.length = 0;
      tx.on('provisional', (r) => ep.provisionals.push(r.status));
      const res = await tx.response;
      if (res.status === 200 && tx.dialog) {
        ep.dialog = tx.dialog;
        tx.dialog.on('request', (req) => {
          if (req.method === 'NOTIFY') {
            ep.notifies.push({
              event: req.header('Event'),
              subscriptionState: req.header('Subscription-State'),
              contentType: req.header('Content-Type'),
              body: req.body.toString('utf8'),
              at: Date.now(),
            });
          }
          if (req.method === 'BYE') {
            ep.byes.push(req.message);
            ep.byeTimes.push(Date.now());
          }
          req.respond(200);
        });
      }
      return res.status;
    },
    async refer(referTo) {
      if (!ep.dialog) throw new Error('no dialog');
      const values = referTo === undefined ? [] : typeof referTo === 'string' ? [referTo] : referTo;
      const tx = ep.dialog.request('REFER', {
        headers: values.length > 0 ? { 'Refer-To': values } : {},
      });
      return (await tx.response).status;
    },
    async hangUp() {
      if (!ep.dialog) throw new Error('no dialog');
      return (await ep.dialog.request('BYE').response).status;
    },
    close: () => stack.close(),
  };
  return ep;
}

/** sipfrag status codes of the NOTIFYs received, in order. */
export function notifyCodes(ep: RawEndpoint): number[] {
  return ep.notifies.map((n) => Number(/^SIP\/2\.0 (\d{3})/.exec(n.body)?.[1] ?? 0));
}

/** A trunk (media none) with a raw customer, a raw target and a raw endpoint. */
export interface Lab {
  trunk: MockTrunk;
  endpoint: RawEndpoint;
  customer: RawPhone;
  target: RawPhone;
}

/**
 * Starts a lab; everything is torn down by the functions pushed on `cleanups`, and the teardown
 * checks that the trunk left no call and no dialog behind.
 */
export async function startLab(
  cleanups: (() => Promise<void>)[],
  options: {
    target?: PhoneBehaviour;
    customer?: PhoneBehaviour;
    trunk?: Partial<MockTrunkOptions>;
    endpoint?: { contact?: string; credentials?: { username: string; password: string } };
  } = {},
): Promise<Lab> {
  const customer = await startRawPhone(options.customer);
  cleanups.push(() => customer.close());
  const target = await startRawPhone(options.target);
  cleanups.push(() => target.close());
  const trunk = await startMockTrunk({
    media: 'none',
    phones: false,
    ...options.trunk,
    routes: { [CUSTOMER]: customer.uri(CUSTOMER), [AGENT]: target.uri(AGENT), ...options.trunk?.routes },
  });
  cleanups.push(async () => {
    // Every test ends its calls: none may be left in the trunk before it closes.
    await until(() => trunk.calls().length === 0 && trunk.activeDialogs() === 0, 10_000, 'no call left');
    expect(trunk.calls()).toEqual([]);
    await trunk.close();
  });
  const endpoint = await startRawEndpoint(trunk, options.endpoint);
  cleanups.push(() => endpoint.close());
  return { trunk, endpoint, customer, target };
}
