import { createSipStack, parseCSeq } from '@referkit/sip';
import type {
  ClientTransaction,
  Dialog,
  IncomingRequest,
  SipLogger,
  SipStack,
  StackResponse,
  TimerConfig,
} from '@referkit/sip';
import type {
  BackendAddress,
  BackendDialog,
  BackendExtras,
  BackendInvite,
  BackendInviteParams,
  BackendRequest,
  BackendResponse,
  BackendWireMessage,
  SignallingBackend,
} from './types.js';

/** Options of {@link createSipBackend}. */
export interface SipBackendOptions {
  /** Addresses to bind (port 0 = ephemeral). */
  readonly listen: readonly BackendAddress[];
  /** SIP timer overrides (T1/T2/T4 in ms); tests shorten T1 to make Timer F quick. */
  readonly timers?: Partial<TimerConfig> | undefined;
  /** Logger for the engine. */
  readonly logger?: SipLogger | undefined;
  /** User-Agent / Server header value. */
  readonly userAgent?: string | undefined;
}

function localMark(tx: ClientTransaction): BackendResponse['local'] {
  switch (tx.error?.code) {
    case undefined:
      return undefined;
    case 'TRANSACTION_TIMEOUT':
      return 'timeout';
    case 'TERMINATED':
      return 'terminated';
    case 'TRANSPORT_ERROR':
    case 'INVALID_TRANSITION':
      return 'transport';
    default:
      return 'transport';
  }
}

function wrapResponse(res: StackResponse, local?: BackendResponse['local']): BackendResponse {
  return {
    status: res.status,
    reason: res.reason,
    local,
    body: res.body.toString('utf8'),
    header: (name) => res.headers.get(name),
    headerValues: (name) => res.headers.getList(name),
    headerLines: (name) => res.headers.getAll(name),
  };
}

const dialogs = new WeakMap<Dialog, BackendDialog>();

function wrapDialog(dialog: Dialog): BackendDialog {
  const known = dialogs.get(dialog);
  if (known) return known;
  const wrapped: BackendDialog = {
    get callId() {
      return dialog.id.callId;
    },
    get localTag() {
      return dialog.id.localTag;
    },
    get remoteTag() {
      return dialog.id.remoteTag;
    },
    get remoteTarget() {
      return dialog.remoteTarget;
    },
    async request(method, extras) {
      const tx = dialog.request(method, toStackExtras(extras));
      const res = await tx.response;
      return wrapResponse(res, localMark(tx));
    },
    onRequest(listener) {
      dialog.on('request', (req) => listener(wrapRequest(req)));
    },
    onAck(listener) {
      dialog.on('ack', () => listener());
    },
    onTerminated(listener) {
      dialog.on('terminated', (reason) => listener(reason));
    },
  };
  dialogs.set(dialog, wrapped);
  return wrapped;
}

function toStackExtras(extras: BackendExtras | undefined): {
  headers?: Record<string, string | readonly string[]>;
  body?: string;
} {
  const out: { headers?: Record<string, string | readonly string[]>; body?: string } = {};
  if (extras?.headers) out.headers = { ...extras.headers };
  if (extras?.body !== undefined) out.body = extras.body;
  return out;
}

function wrapRequest(req: IncomingRequest): BackendRequest {
  const cseq = parseCSeq(req.header('CSeq') ?? '');
  return {
    method: req.method,
    uri: req.uri,
    transport: req.transport,
    remote: { host: req.remote.host, port: req.remote.port },
    callId: req.header('Call-ID') ?? '',
    cseq: cseq.ok ? cseq.value.seq : 0,
    body: req.body.toString('utf8'),
    header: (name) => req.header(name),
    headerValues: (name) => req.message.headers.getList(name),
    headerLines: (name) => req.message.headers.getAll(name),
    respond(status, reason, extras) {
      const dialog = req.respond(status, reason, toStackExtras(extras));
      return dialog ? wrapDialog(dialog) : undefined;
    },
    onCancel(listener) {
      req.on('cancel', listener);
    },
  };
}

/** The {@link SignallingBackend} on `@referkit/sip` (in-process SIP over UDP and TCP). */
export async function createSipBackend(options: SipBackendOptions): Promise<SignallingBackend> {
  const stack: SipStack = await createSipStack({
    listen: options.listen.map((a) => ({ transport: a.transport, host: a.host, port: a.port })),
    ...(options.timers ? { timers: options.timers } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.userAgent ? { userAgent: options.userAgent } : {}),
  });
  return {
    addresses: stack.addresses.map((a) => ({ transport: a.transport, host: a.host, port: a.port })),
    onRequest(listener) {
      stack.on('request', (req) => listener(wrapRequest(req)));
    },
    onMessage(listener) {
      stack.on('message', (m) => {
        const event: BackendWireMessage = {
          direction: m.direction,
          transport: m.transport,
          local: { host: m.local.host, port: m.local.port },
          remote: { host: m.remote.host, port: m.remote.port },
          data: m.data,
          at: Date.now(),
        };
        listener(event);
      });
    },
    invite(params: BackendInviteParams): BackendInvite {
      const headers: Record<string, string | readonly string[]> = { ...params.headers, From: params.from };
      if (params.to !== undefined) headers.To = params.to;
      if (params.body !== undefined && headers['Content-Type'] === undefined) {
        headers['Content-Type'] = 'application/sdp';
      }
      const tx = stack.sendRequest(
        {
          method: 'INVITE',
          uri: params.uri,
          headers,
          ...(params.body !== undefined ? { body: params.body } : {}),
        },
        { destination: params.destination },
      );
      return {
        callId: tx.request.headers.get('Call-ID') ?? '',
        onProvisional(listener) {
          tx.on('provisional', (res) => listener(wrapResponse(res)));
        },
        response: tx.response.then((res) => wrapResponse(res, localMark(tx))),
        get dialog() {
          const d = tx.dialog;
          return d && d.state === 'confirmed' ? wrapDialog(d) : undefined;
        },
        cancel: () => tx.cancel(),
      };
    },
    activeDialogs: () => stack.stats.activeDialogs,
    close: () => stack.close(),
  };
}
