// Test harness: a trunk played by @referkit/sip (the far end) and SIP.js user agents on the
// package's Node transport, all on 127.0.0.1 with ephemeral ports.
import { createSipStack, getHeaderValues } from '@referkit/sip';
import type { Dialog, IncomingRequest, SipStack } from '@referkit/sip';
import { buildSipfrag } from '@referkit/validators';
import { Invitation, Inviter, SessionState, UserAgent } from 'sip.js';
import type { Session } from 'sip.js';
import { createNodeUserAgent } from '../../src/node/index.js';
import type { NodeUserAgent } from '../../src/node/index.js';

/** The lab trunk's termination domain (only ever written in headers: traffic stays on 127.0.0.1). */
export const DOMAIN = 'lab0000000000.zt.plivo.com';
export const CUSTOMER = '+14155550100';
export const AGENT = '+14155550101';
export const BUSY = '+14155550102';
export const NO_ANSWER = '+14155550103';
export const DECLINE = '+14155550104';

const SDP = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 40000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\r\n');

/** What the trunk's REFER handler gets. */
export interface ReferContext {
  readonly request: IncomingRequest;
  readonly dialog: Dialog;
  /** CSeq number of the REFER (the `id` of its NOTIFYs). */
  readonly cseq: number;
  /**
   * Sends a NOTIFY with a sipfrag and resolves with the status of the endpoint's answer.
   * `id: null` omits the id parameter.
   */
  notify(
    code: number,
    options?: {
      readonly state?: 'active' | 'terminated';
      readonly id?: string | null;
      readonly headers?: Readonly<Record<string, string>>;
    },
  ): Promise<number>;
}

export type ReferHandler = (ctx: ReferContext) => void | Promise<void>;

/** The trunk side of the call. */
export interface Trunk {
  readonly stack: SipStack;
  readonly protocol: 'udp' | 'tcp';
  readonly port: number;
  /** REFERs received, in order. */
  readonly refers: IncomingRequest[];
  /** Methods of in-dialog requests received, in order. */
  readonly received: string[];
  /** Statuses of the endpoint's answers to our NOTIFYs, in order. */
  readonly notifyAnswers: number[];
  /** What the trunk does with each REFER (default: 202, NOTIFY 100 / 180 / 200, BYE). */
  onRefer: ReferHandler;
  /** The call's dialog once established. */
  dialog: Dialog | undefined;
  /** Resolves with {@link Trunk.notifyAnswers} once `count` NOTIFYs have been answered. */
  answers(count: number): Promise<number[]>;
  /** Resolves when an in-dialog request with this method has been received `count` times. */
  waitFor(method: string, count?: number): Promise<void>;
  /** Errors thrown by handlers (a test asserts there are none). */
  readonly errors: unknown[];
  /** Calls the endpoint listening on `port` (the trunk is the caller); resolves with the final status. */
  call(port: number): Promise<number>;
}

/** 202, NOTIFY 100 / 180 / 200 (terminated), then BYE: a transfer that connects. */
export const connects: ReferHandler = async (ctx) => {
  ctx.request.respond(202);
  await ctx.notify(100);
  await ctx.notify(180);
  await ctx.notify(200, { state: 'terminated' });
  await ctx.dialog.request('BYE').response;
};

/** 202, NOTIFY 100 / 180 then `code` (terminated): the target fails, the caller stays. */
export function targetFails(code: number): ReferHandler {
  return async (ctx) => {
    ctx.request.respond(202);
    await ctx.notify(100);
    await ctx.notify(180);
    await ctx.notify(code, { state: 'terminated' });
  };
}

/** Per-target behaviour keyed by the number in the Refer-To. */
export function byNumber(
  handlers: Readonly<Record<string, ReferHandler>>,
  fallback: ReferHandler,
): ReferHandler {
  return (ctx) => {
    const referTo = ctx.request.header('Refer-To') ?? '';
    const entry = Object.entries(handlers).find(([number]) => referTo.includes(number));
    return (entry?.[1] ?? fallback)(ctx);
  };
}

export async function startTrunk(protocol: 'udp' | 'tcp'): Promise<Trunk> {
  const stack = await createSipStack({ listen: [{ transport: protocol, host: '127.0.0.1', port: 0 }] });
  const address = stack.addresses[0];
  if (address === undefined) throw new Error('trunk has no address');
  const waiters: { method: string; count: number; resolve: () => void }[] = [];
  const counts = new Map<string, number>();
  const answerWaiters: (() => void)[] = [];
  const trunk: Trunk = {
    stack,
    protocol,
    port: address.port,
    refers: [],
    received: [],
    notifyAnswers: [],
    onRefer: connects,
    dialog: undefined,
    errors: [],
    call: () => Promise.reject(new Error('not ready')),
    answers(count) {
      return new Promise((resolve) => {
        const check = (): void => {
          if (trunk.notifyAnswers.length >= count) resolve([...trunk.notifyAnswers]);
          else answerWaiters.push(check);
        };
        check();
      });
    },
    waitFor(method, count = 1) {
      if ((counts.get(method) ?? 0) >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ method, count, resolve }));
    },
  };
  const attach = (dialog: Dialog): void => {
    trunk.dialog = dialog;
    dialog.on('request', (request) => {
      trunk.received.push(request.method);
      const seen = (counts.get(request.method) ?? 0) + 1;
      counts.set(request.method, seen);
      if (request.method === 'REFER') {
        trunk.refers.push(request);
        const cseq = Number.parseInt(request.header('CSeq') ?? '', 10);
        const ctx: ReferContext = {
          request,
          dialog,
          cseq,
          async notify(code, options = {}) {
            const id =
              options.id === undefined ? `;id=${cseq}` : options.id === null ? '' : `;id=${options.id}`;
            const state =
              options.state === 'terminated' ? 'terminated;reason=noresource' : 'active;expires=60';
            const tx = dialog.request('NOTIFY', {
              headers: {
                Event: `refer${id}`,
                'Subscription-State': state,
                'Content-Type': 'message/sipfrag;version=2.0',
                ...options.headers,
              },
              body: buildSipfrag(code),
            });
            const response = await tx.response;
            trunk.notifyAnswers.push(response.status);
            for (const check of answerWaiters.splice(0)) check();
            return response.status;
          },
        };
        Promise.resolve()
          .then(() => trunk.onRefer(ctx))
          .catch((error: unknown) => trunk.errors.push(error));
      } else {
        request.respond(200);
      }
      for (const waiter of waiters.filter((w) => w.method === request.method && w.count <= seen)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    });
  };
  stack.on('request', (request) => {
    if (request.method !== 'INVITE') {
      request.respond(405);
      return;
    }
    request.respond(180);
    const dialog = request.respond(200, 'OK', { headers: { 'Content-Type': 'application/sdp' }, body: SDP });
    if (dialog !== undefined) attach(dialog);
  });
  trunk.call = async (port) => {
    const tx = stack.sendRequest(
      {
        method: 'INVITE',
        uri: `sip:agent@127.0.0.1:${port}`,
        headers: {
          From: `<sip:${CUSTOMER}@${DOMAIN}>`,
          To: `<sip:agent@${DOMAIN}>`,
          'Content-Type': 'application/sdp',
        },
        body: SDP,
      },
      { destination: { transport: protocol, host: '127.0.0.1', port } },
    );
    tx.on('dialog', (dialog) => {
      if (dialog.state === 'confirmed') attach(dialog);
      else dialog.on('confirmed', () => attach(dialog));
    });
    const response = await tx.response;
    return response.status;
  };
  return trunk;
}

/** A SIP.js user agent on the package's Node transport, with the trunk as outbound proxy. */
export async function startUserAgent(
  trunk: Trunk,
  onInvite?: (invitation: Invitation) => void,
): Promise<NodeUserAgent> {
  return createNodeUserAgent({
    uri: `sip:agent@${DOMAIN}`,
    transport: { protocol: trunk.protocol, server: { host: '127.0.0.1', port: trunk.port } },
    ...(onInvite === undefined ? {} : { userAgentOptions: { delegate: { onInvite } } }),
  });
}

/** Waits until the session reaches `state`. */
export function sessionState(session: Session, state: SessionState): Promise<void> {
  if (session.state === state) return Promise.resolve();
  return new Promise((resolve) => {
    const listener = (next: SessionState): void => {
      if (next !== state) return;
      session.stateChange.removeListener(listener);
      resolve();
    };
    session.stateChange.addListener(listener);
  });
}

/** Places a call from the user agent to the customer through the trunk; resolves once established. */
export async function placeCall(ua: UserAgent): Promise<Inviter> {
  const target = UserAgent.makeURI(`sip:${CUSTOMER}@${DOMAIN}`);
  if (target === undefined) throw new Error('bad target');
  const inviter = new Inviter(ua, target);
  const established = sessionState(inviter, SessionState.Established);
  await inviter.invite();
  await established;
  return inviter;
}

/** Every Refer-To value of a REFER, as written on the wire. */
export function referToValues(request: IncomingRequest): string[] {
  return getHeaderValues(request.message, 'Refer-To');
}

export { Invitation };
