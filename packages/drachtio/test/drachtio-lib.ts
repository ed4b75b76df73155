import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { ReferDialog } from '../src/index.js';

/**
 * drachtio-srf's own `Dialog`, `Request`, `Response` and `SipMessage` classes (lib/*.js, untyped
 * JavaScript) driven by a stand-in for its agent: the part that talks to drachtio-server over
 * TCP. Everything above the wire is drachtio-srf 5.0.29's real code, so these tests catch any
 * difference between the adapter's idea of a `Dialog` and the real one.
 */

const require = createRequire(import.meta.url);

interface SipMessageLike {
  status?: number;
  reason?: string;
  get(name: string): string | undefined;
}
type SipMessageCtor = new (raw: string | object) => SipMessageLike;
interface RequestLike extends EventEmitter {
  agent: unknown;
  get(name: string): string | undefined;
}
type RequestCtor = new (msg: SipMessageLike, meta: object) => RequestLike;
interface ResponseLike extends EventEmitter {
  msg: SipMessageLike;
  req: RequestLike;
  readonly finalResponseSent: boolean;
}
type ResponseCtor = new (agent?: unknown) => ResponseLike;
/** drachtio-srf's Dialog as this harness uses it (it is also a {@link ReferDialog}). */
export interface RealDialog extends ReferDialog {
  connected: boolean;
  handle(req: RequestLike, res: ResponseLike): void;
  refer(opts: object): unknown;
  readonly local: { uri: string; sdp: string; contact: string };
}
type DialogCtor = new (srf: object, type: 'uac' | 'uas', opts: object) => RealDialog;

const SipMessage = require('drachtio-srf/lib/sip-parser/message.js') as SipMessageCtor;
const Request = require('drachtio-srf/lib/request.js') as RequestCtor;
const Response = require('drachtio-srf/lib/response.js') as ResponseCtor;
const Dialog = require('drachtio-srf/lib/dialog.js') as DialogCtor;

const CALL_ID = 'call-1@127.0.0.1';
const FROM = '"Agent" <sip:agent@pbx.example.com>;tag=local1';
const TO = '<sip:+14155550100@lab.zt.plivo.com>;tag=remote1';

function raw(lines: string[], body = ''): string {
  return `${lines.join('\r\n')}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

function meta(source: 'network' | 'application'): object {
  return {
    source,
    address: '127.0.0.1',
    port: '5060',
    protocol: 'udp',
    time: '00:00:00.000',
    transactionId: `txn-${Math.random().toString(36).slice(2)}`,
    dialogId: 'dialog-1',
  };
}

/** A request the dialog sent through the agent. */
export interface WireRequest {
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly cseq: number;
  /** Delivers a response to it, as drachtio-server would. */
  respond(status: number, reason: string, headers?: Record<string, string>): void;
}

/** The stand-in for drachtio-srf's agent (its link to drachtio-server). */
export class WireAgent {
  readonly sent: WireRequest[] = [];
  /** Responses sent through `Response#send`, with the request they answer. */
  readonly answered: { status: number; reason: string; method: string }[] = [];
  private cseq = 1;

  /** drachtio-srf's `agent.request(opts, cb)`: calls back with the sent request once "sent". */
  request(
    opts: { method: string; headers?: Record<string, string> },
    callback: (err: unknown, req?: RequestLike) => void,
  ): void {
    this.cseq += 1;
    const cseq = this.cseq;
    const headers = {
      ...(opts.headers ?? {}),
      'call-id': CALL_ID,
      cseq: `${cseq} ${opts.method}`,
      from: FROM,
      to: TO,
    };
    const req = new Request(
      new SipMessage({ method: opts.method, uri: 'sip:+14155550100@127.0.0.1:5060', headers }),
      meta('application'),
    );
    req.agent = this;
    const respond = (status: number, reason: string, extra: Record<string, string> = {}): void => {
      const lines = [
        `SIP/2.0 ${status} ${reason}`,
        `Call-ID: ${CALL_ID}`,
        `CSeq: ${cseq} ${opts.method}`,
        `From: ${FROM}`,
        `To: ${TO}`,
      ];
      for (const [name, value] of Object.entries(extra)) lines.push(`${name}: ${value}`);
      const res = new Response(this);
      res.msg = new SipMessage(raw(lines));
      res.req = req;
      req.emit('response', res, () => undefined);
    };
    this.sent.push({ method: opts.method, headers: opts.headers ?? {}, cseq, respond });
    setImmediate(() => {
      callback(null, req);
      // drachtio-server answers a BYE from the far end's side: here at once.
      if (opts.method === 'BYE') setImmediate(() => respond(200, 'OK'));
    });
  }

  /** drachtio-srf's `agent.sendResponse(res, ...)`: records what the application answered. */
  sendResponse(res: ResponseLike): void {
    this.answered.push({
      status: res.msg.status ?? 0,
      reason: res.msg.reason ?? '',
      method: res.req.get('CSeq')?.split(' ')[1] ?? '',
    });
  }
}

/** An established UAC dialog (an outbound call) built by drachtio-srf's own Dialog constructor. */
export function realDialog(): { dialog: RealDialog; agent: WireAgent; removed: () => number } {
  const agent = new WireAgent();
  const invite = new SipMessage(
    raw(
      [
        'INVITE sip:+14155550100@lab.zt.plivo.com SIP/2.0',
        'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1',
        `From: ${FROM}`,
        'To: <sip:+14155550100@lab.zt.plivo.com>',
        `Call-ID: ${CALL_ID}`,
        'CSeq: 1 INVITE',
        'Contact: <sip:agent@127.0.0.1:5070>',
      ],
      '',
    ),
  );
  const req = new Request(invite, meta('application'));
  const res = new Response(agent);
  res.msg = new SipMessage(
    raw([
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1',
      `From: ${FROM}`,
      `To: ${TO}`,
      `Call-ID: ${CALL_ID}`,
      'CSeq: 1 INVITE',
      'Contact: <sip:+14155550100@127.0.0.1:5060>',
    ]),
  );
  let removals = 0;
  const srf = { removeDialog: () => (removals += 1) };
  const dialog = new Dialog(srf, 'uac', { req, res });
  return { dialog, agent, removed: () => removals };
}

/** An in-dialog request from the far end, handled by the dialog as drachtio-srf dispatches it. */
export function incoming(
  dialog: RealDialog,
  agent: WireAgent,
  method: string,
  cseq: number,
  headers: Record<string, string>,
  body = '',
): ResponseLike {
  const lines = [
    `${method} sip:agent@127.0.0.1:5070 SIP/2.0`,
    `From: ${TO}`,
    `To: ${FROM}`,
    `Call-ID: ${CALL_ID}`,
    `CSeq: ${cseq} ${method}`,
  ];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  const req = new Request(new SipMessage(raw(lines, body)), meta('network'));
  const res = new Response(agent);
  res.req = req;
  dialog.handle(req, res);
  return res;
}
