import { randomUUID } from 'node:crypto';
import { createTrunkTransfer } from '@referkit/core';
import type { TrunkRecord, TrunkTransfer, TrunkTransferEffect, TrunkTransferEvent } from '@referkit/core';
import type { Logger } from 'pino';
import type {
  BackendDestination,
  BackendDialog,
  BackendInvite,
  BackendRequest,
  BackendResponse,
  SignallingBackend,
} from '../backend/types.js';
import type { CallLeg, TrunkEvent } from '../observe/types.js';
import type { MediaAnchor, MediaTags } from './media.js';
import type { TrunkProfile } from '@referkit/validators';
import { referDecision } from './refer-verdict.js';
import type { CallRecord, CallSummary } from './types.js';
import { userOf } from './uri.js';

/** Resolves in the event loop's check phase: after the I/O callbacks that are already due. */
function afterPendingIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Where a number goes: a SIP destination, or a status every call to it gets. */
export type RouteResult =
  | { readonly kind: 'sip'; readonly uri: string; readonly destination: BackendDestination }
  | { readonly kind: 'status'; readonly status: number; readonly reason: string };

/** What a call needs from the trunk around it. */
export interface CallContext {
  readonly backend: SignallingBackend;
  readonly media: MediaAnchor;
  readonly logger: Logger;
  readonly domain: string;
  readonly trunkNumber: string;
  readonly ringTimeoutMs: number;
  readonly profile: TrunkProfile;
  route(number: string): RouteResult | undefined;
  emit(event: TrunkEvent): void;
  /** Tells the trace which call and leg a SIP Call-ID belongs to. */
  bind(sipCallId: string, call: string, leg: CallLeg): void;
  /** The call ended: every leg is gone. */
  finished(call: TrunkCall, records: readonly CallRecord[]): void;
}

interface TargetLeg {
  readonly cseq: number;
  readonly tag: string;
  readonly number: string;
  readonly record: CallRecord;
  invite: BackendInvite | undefined;
  dialog: BackendDialog | undefined;
  sdp: string | undefined;
  timer: NodeJS.Timeout | undefined;
  timedOut: boolean;
  cancelled: boolean;
  live: boolean;
}

const REASONS: Readonly<Record<number, string>> = {
  402: 'Payment Required',
  404: 'Not Found',
  408: 'Request Timeout',
  480: 'Temporarily Unavailable',
  486: 'Busy Here',
  487: 'Request Terminated',
  503: 'Service Unavailable',
  603: 'Decline',
};

/** Reason phrase for a status the trunk generates itself. */
export function reasonFor(status: number): string {
  return REASONS[status] ?? (status >= 200 && status < 300 ? 'OK' : 'Error');
}

function newRecord(
  id: string,
  call: string,
  kind: CallRecord['kind'],
  from: string,
  to: string,
  sipCallId: string | undefined,
): CallRecord {
  return {
    id,
    call,
    kind,
    from,
    to,
    sipCallId,
    startedAt: Date.now(),
    answeredAt: undefined,
    endedAt: undefined,
    status: undefined,
    hangupCause: undefined,
    notes: [],
    flags: [],
  };
}

function hasSdp(body: string): boolean {
  return body.trim() !== '';
}

function sdpCodecs(sdp: string | undefined): Set<string> {
  const out = new Set<string>();
  if (sdp === undefined) return out;
  for (const m of sdp.matchAll(/^a=rtpmap:\d+\s+([^/\s]+)/gm)) {
    const name = (m[1] ?? '').toUpperCase();
    if (name !== 'TELEPHONE-EVENT') out.add(name);
  }
  return out;
}

/**
 * One trunk call: the endpoint's leg (its INVITE to the trunk), the customer leg the trunk
 * places, and one leg per accepted REFER. The REFER logic is `@referkit/core`'s trunk machine;
 * this class executes its effects over the signalling backend and the media anchor.
 */
export class TrunkCall {
  /** Trunk call id. */
  readonly id: string;
  readonly #ctx: CallContext;
  readonly #invite: BackendRequest;
  readonly #customerNumber: string;
  readonly #from: string;
  readonly #tags: MediaTags;
  readonly #record: CallRecord;
  readonly #targets = new Map<number, TargetLeg>();
  readonly #log: Logger;
  #state = 'routing';
  #endpointDialog: BackendDialog | undefined;
  #endpointLive = true;
  #endpointSdp: string | undefined;
  #customerInvite: BackendInvite | undefined;
  #customerDialog: BackendDialog | undefined;
  #customerLive = false;
  #customerSdp: string | undefined;
  #customerOffer: string | undefined;
  #machine: TrunkTransfer | undefined;
  #queue: Promise<void> = Promise.resolve();
  #finished = false;
  #cancelledByEndpoint = false;

  constructor(ctx: CallContext, invite: BackendRequest, customerNumber: string, from: string) {
    this.id = `call-${randomUUID()}`;
    this.#ctx = ctx;
    this.#invite = invite;
    this.#customerNumber = customerNumber;
    this.#from = from;
    this.#tags = { call: this.id, endpoint: 'endpoint', customer: 'customer' };
    this.#record = newRecord(this.id, this.id, 'original', from, customerNumber, undefined);
    this.#log = ctx.logger.child({ call: this.id });
    ctx.bind(invite.callId, this.id, 'endpoint');
  }

  /** Summary for listings. */
  summary(): CallSummary {
    return {
      id: this.id,
      from: this.#from,
      to: this.#customerNumber,
      state: this.#state,
      sipCallId: this.#invite.callId,
      startedAt: this.#record.startedAt,
    };
  }

  /** Records of this call so far (original first, then one per transfer leg). */
  records(): CallRecord[] {
    return [this.#record, ...[...this.#targets.values()].map((t) => t.record)];
  }

  #setState(state: string, leg?: string, detail?: string): void {
    if (leg === undefined) this.#state = state;
    this.#ctx.emit({ type: 'state', at: Date.now(), call: this.id, leg, state, detail });
    this.#log.info({ state, leg, detail }, 'call state');
  }

  /** Places the customer leg to `route` and relays its progress to the endpoint. */
  async start(route: Extract<RouteResult, { kind: 'sip' }>): Promise<void> {
    this.#invite.onCancel(() => this.#onEndpointCancel());
    this.#setState('routing', undefined, `to ${this.#customerNumber}`);
    let offer: string | undefined;
    try {
      offer = await this.#ctx.media.customerOffer(
        this.#tags,
        hasSdp(this.#invite.body) ? this.#invite.body : undefined,
      );
    } catch (err) {
      this.#log.error({ err }, 'media offer failed');
      this.#invite.respond(503, 'Service Unavailable');
      this.#record.status = 503;
      this.#record.hangupCause = 'media anchor unavailable';
      this.#endpointLive = false;
      this.#maybeFinish();
      return;
    }
    if (this.#cancelledByEndpoint) {
      this.#endpointLive = false;
      this.#maybeFinish();
      return;
    }
    this.#customerOffer = offer;
    const sipCallId = `${randomUUID()}@referkit-trunk`;
    this.#ctx.bind(sipCallId, this.id, 'customer');
    (this.#record as { sipCallId: string | undefined }).sipCallId = sipCallId;
    const invite = this.#ctx.backend.invite({
      uri: route.uri,
      from: `<sip:${this.#from}@${this.#ctx.domain}>`,
      to: `<sip:${this.#customerNumber}@${this.#ctx.domain}>`,
      destination: route.destination,
      headers: { 'Call-ID': sipCallId },
      body: offer,
    });
    this.#customerInvite = invite;
    this.#customerLive = true;
    invite.onProvisional((res) => void this.#onCustomerProvisional(res));
    const final = await invite.response;
    await this.#onCustomerFinal(final);
  }

  async #onCustomerProvisional(res: BackendResponse): Promise<void> {
    if (res.status === 100 || this.#invite.respond === undefined) return;
    this.#setState('ringing', 'customer', `${res.status} ${res.reason}`);
    let sdp: string | undefined;
    if (hasSdp(res.body)) {
      try {
        sdp = await this.#ctx.media.customerAnswer(this.#tags, res.body);
      } catch (err) {
        this.#log.warn({ err }, 'media answer for early media failed');
      }
    }
    if (this.#cancelledByEndpoint) return;
    this.#invite.respond(
      res.status,
      res.reason,
      sdp === undefined ? undefined : { headers: { 'Content-Type': 'application/sdp' }, body: sdp },
    );
  }

  async #onCustomerFinal(res: BackendResponse): Promise<void> {
    this.#record.status = res.status;
    if (res.status < 200 || res.status >= 300) {
      this.#customerLive = false;
      if (!this.#cancelledByEndpoint) {
        // The customer leg failed: relay its status (a local timeout / transport error included).
        this.#invite.respond(res.status, res.reason);
        this.#record.hangupCause = `customer answered ${res.status} ${res.reason}`;
      } else {
        this.#record.hangupCause = 'endpoint cancelled';
      }
      this.#endpointLive = false;
      this.#setState('ended', undefined, this.#record.hangupCause);
      this.#maybeFinish();
      return;
    }
    const dialog = this.#customerInvite?.dialog;
    this.#customerDialog = dialog;
    this.#customerSdp = hasSdp(res.body) ? res.body : undefined;
    this.#record.answeredAt = Date.now();
    dialog?.onRequest((req) => this.#onCustomerRequest(req));
    dialog?.onTerminated(() => {
      this.#customerLive = false;
      this.#maybeFinish();
    });
    if (this.#cancelledByEndpoint) {
      // The endpoint's CANCEL crossed the customer's 200.
      await dialog?.request('BYE');
      return;
    }
    let sdp: string | undefined;
    try {
      sdp = await this.#ctx.media.customerAnswer(this.#tags, this.#customerSdp);
    } catch (err) {
      this.#log.error({ err }, 'media answer failed');
    }
    this.#endpointSdp = sdp;
    const endpointDialog = this.#invite.respond(
      200,
      'OK',
      sdp === undefined ? undefined : { headers: { 'Content-Type': 'application/sdp' }, body: sdp },
    );
    if (!endpointDialog) {
      await dialog?.request('BYE');
      return;
    }
    this.#endpointDialog = endpointDialog;
    this.#machine = createTrunkTransfer();
    endpointDialog.onRequest((req) => this.#onEndpointRequest(req));
    endpointDialog.onTerminated((reason) => {
      this.#endpointLive = false;
      if (reason === 'ack-timeout') this.#feed({ type: 'transferorBye' });
      this.#maybeFinish();
    });
    this.#setState('answered');
  }

  #onEndpointCancel(): void {
    this.#cancelledByEndpoint = true;
    this.#record.hangupCause = 'endpoint cancelled';
    this.#setState('ended', undefined, 'endpoint cancelled');
    this.#customerInvite?.cancel();
    if (!this.#customerInvite) {
      this.#endpointLive = false;
      this.#maybeFinish();
    }
  }

  #onEndpointRequest(req: BackendRequest): void {
    switch (req.method) {
      case 'BYE':
        req.respond(200);
        this.#endpointLive = false;
        this.#record.hangupCause ??= 'endpoint hung up';
        this.#feed({ type: 'transferorBye' });
        this.#maybeFinish();
        return;
      case 'REFER': {
        const { verdict, error } = referDecision(req.headerLines('Refer-To'), this.#ctx.profile);
        this.#log.info({ referTo: req.headerLines('Refer-To'), verdict, error }, 'REFER');
        if (error) this.#setState('refer-refused', 'endpoint', `${error.code}: ${error.message}`);
        this.#feed({ type: 'refer', cseq: req.cseq, verdict }, req);
        return;
      }
      case 'INVITE':
        // A re-INVITE from the endpoint (session refresh): answer with the media we gave it.
        req.respond(
          200,
          'OK',
          this.#endpointSdp === undefined
            ? undefined
            : { headers: { 'Content-Type': 'application/sdp' }, body: this.#endpointSdp },
        );
        return;
      case 'OPTIONS':
      case 'INFO':
      case 'UPDATE':
        req.respond(200);
        return;
      default:
        req.respond(405, 'Method Not Allowed', {
          headers: { Allow: 'INVITE, ACK, CANCEL, BYE, REFER, OPTIONS, INFO' },
        });
    }
  }

  #onCustomerRequest(req: BackendRequest): void {
    switch (req.method) {
      case 'BYE':
        req.respond(200);
        this.#customerLive = false;
        this.#record.hangupCause ??= 'customer hung up';
        this.#setState('customer-hung-up', 'customer');
        if (this.#machine) this.#feed({ type: 'callerBye' });
        this.#maybeFinish();
        return;
      case 'INVITE':
        req.respond(
          200,
          'OK',
          this.#customerOffer === undefined
            ? undefined
            : { headers: { 'Content-Type': 'application/sdp' }, body: this.#customerOffer },
        );
        return;
      default:
        req.respond(200);
    }
  }

  /** Feeds the trunk machine and queues its effects (executed in order, one at a time). */
  #feed(event: TrunkTransferEvent, refer?: BackendRequest): void {
    if (!this.#machine) return;
    const before = this.#machine.state.kind;
    const effects = this.#machine.send(event);
    const after = this.#machine.state.kind;
    if (after !== before) {
      const state = after === 'calling' || after === 'ringing' ? 'transferring' : after;
      this.#setState(state, undefined, `transfer ${after}`);
    }
    this.#queue = this.#queue.then(async () => {
      let yielded = false;
      for (const effect of effects) {
        // The REFER is answered at once; new work (NOTIFYs, legs, media, hang-ups) starts once the
        // messages already waiting in the socket have been read, so that their answers (another
        // call's 202) do not queue behind this call's follow-up requests.
        if (!yielded && effect.type !== 'respondRefer') {
          yielded = true;
          await afterPendingIo();
        }
        try {
          await this.#execute(effect, refer);
        } catch (err) {
          this.#log.error({ err, effect: effect.type }, 'effect failed');
        }
      }
    });
  }

  async #execute(effect: TrunkTransferEffect, refer: BackendRequest | undefined): Promise<void> {
    switch (effect.type) {
      case 'respondRefer':
        refer?.respond(effect.status, effect.reason);
        return;
      case 'sendNotify':
        this.#sendNotify(effect);
        return;
      case 'placeLeg':
        await this.#placeTarget(effect.referCseq, effect.target);
        return;
      case 'cancelLeg':
        await this.#cancelTarget(effect.referCseq);
        return;
      case 'ringback':
        await this.#ctx.media.ringback(this.#tags, effect.action === 'start');
        this.#setState(effect.action === 'start' ? 'ringback-on' : 'ringback-off', 'customer');
        return;
      case 'bridge':
        await this.#bridge(effect.referCseq);
        return;
      case 'hangUp':
        this.#hangUp(effect.leg, effect.referCseq);
        return;
      case 'record':
        this.#note(effect.record);
        return;
      case 'error':
        this.#log.warn({ error: effect.error }, 'trunk machine refused an event');
        return;
      default: {
        const never: never = effect;
        this.#log.warn({ effect: never }, 'unknown effect');
      }
    }
  }

  #note(note: TrunkRecord): void {
    this.#record.notes.push(note);
    const leg = note.referCseq === undefined ? undefined : this.#targets.get(note.referCseq);
    if (note.code === 'TRANSFEROR_HUNG_UP_EARLY') this.#record.hangupCause = note.reason;
    if (leg && note.code === 'TRANSFER_FAILED') leg.record.notes.push(note);
    this.#setState('note', undefined, `${note.code}: ${note.reason}`);
    this.#log.info({ note }, 'call record note');
  }

  #sendNotify(effect: Extract<TrunkTransferEffect, { type: 'sendNotify' }>): void {
    const dialog = this.#endpointDialog;
    if (!dialog || !this.#endpointLive) return;
    const body = `SIP/2.0 ${effect.status} ${effect.reason}\r\n`;
    const state =
      effect.subscriptionState === 'active' ? 'active;expires=60' : 'terminated;reason=noresource';
    void dialog
      .request('NOTIFY', {
        headers: {
          Event: `refer;id=${effect.eventId}`,
          'Subscription-State': state,
          'Content-Type': 'message/sipfrag;version=2.0',
        },
        body,
      })
      .then((res) => {
        if (res.status >= 300 && res.local !== 'terminated') {
          this.#feed({ type: 'notifyFailed', referCseq: effect.eventId, status: res.status });
        }
      });
  }

  async #placeTarget(cseq: number, target: string): Promise<void> {
    const number = userOf(target) ?? target;
    const record = newRecord(
      `${this.id}/t${cseq}`,
      this.id,
      'transfer',
      this.#ctx.trunkNumber,
      number,
      undefined,
    );
    const leg: TargetLeg = {
      cseq,
      tag: `target-${cseq}`,
      number,
      record,
      invite: undefined,
      dialog: undefined,
      sdp: undefined,
      timer: undefined,
      timedOut: false,
      cancelled: false,
      live: true,
    };
    this.#targets.set(cseq, leg);
    this.#setState('calling', 'target', `${number} (REFER CSeq ${cseq})`);
    const route = this.#ctx.route(number);
    if (!route || route.kind === 'status') {
      const status = route?.status ?? 404;
      const reason = route?.reason ?? 'Not Found';
      leg.live = false;
      record.status = status;
      record.endedAt = Date.now();
      record.hangupCause = `target ${status} ${reason}`;
      this.#feed({ type: 'targetFailed', referCseq: cseq, status, reason });
      return;
    }
    let offer: string | undefined;
    try {
      offer = await this.#ctx.media.targetOffer(this.#tags, leg.tag, this.#customerSdp);
    } catch (err) {
      this.#log.error({ err }, 'media offer for the target failed');
      leg.live = false;
      record.status = 503;
      record.endedAt = Date.now();
      this.#feed({ type: 'targetFailed', referCseq: cseq, status: 503, reason: 'Service Unavailable' });
      return;
    }
    if (leg.cancelled) {
      leg.live = false;
      return;
    }
    const sipCallId = `${randomUUID()}@referkit-trunk`;
    this.#ctx.bind(sipCallId, this.id, 'target');
    (record as { sipCallId: string | undefined }).sipCallId = sipCallId;
    const invite = this.#ctx.backend.invite({
      uri: route.uri,
      from: `<sip:${this.#ctx.trunkNumber}@${this.#ctx.domain}>`,
      to: `<sip:${number}@${this.#ctx.domain}>`,
      destination: route.destination,
      headers: { 'Call-ID': sipCallId },
      body: offer,
    });
    leg.invite = invite;
    leg.timer = setTimeout(() => {
      leg.timedOut = true;
      invite.cancel();
    }, this.#ctx.ringTimeoutMs);
    invite.onProvisional((res) => {
      if (res.status === 180 || res.status === 183) {
        this.#setState('ringing', 'target', `${res.status} ${res.reason}`);
        this.#feed({ type: 'targetRinging', referCseq: cseq, status: res.status, reason: res.reason });
      }
    });
    void invite.response.then((res) => this.#onTargetFinal(leg, res));
  }

  async #onTargetFinal(leg: TargetLeg, res: BackendResponse): Promise<void> {
    clearTimeout(leg.timer);
    leg.timer = undefined;
    leg.record.status = res.status;
    if (res.status >= 200 && res.status < 300) {
      leg.dialog = leg.invite?.dialog;
      leg.sdp = hasSdp(res.body) ? res.body : undefined;
      leg.record.answeredAt = Date.now();
      leg.dialog?.onRequest((req) => this.#onTargetRequest(leg, req));
      leg.dialog?.onTerminated(() => {
        leg.live = false;
        leg.record.endedAt ??= Date.now();
        this.#maybeFinish();
      });
      if (leg.cancelled) {
        // The backend ACKs and BYEs a 2xx that raced our CANCEL.
        leg.record.hangupCause = 'cancelled by the trunk';
        return;
      }
      const common = [...sdpCodecs(leg.sdp)].some((c) => sdpCodecs(this.#customerSdp).has(c));
      if (leg.sdp !== undefined && this.#customerSdp !== undefined && !common) {
        if (this.#ctx.media.transcodes) {
          this.#log.info('target and customer have no codec in common: rtpengine transcodes');
        } else {
          this.#record.flags.push('no-common-codec');
          leg.record.flags.push('no-common-codec');
          this.#log.warn('target and customer have no codec in common: no audio after transfer');
        }
      }
      this.#feed({ type: 'targetAnswered', referCseq: leg.cseq });
      return;
    }
    leg.live = false;
    leg.record.endedAt = Date.now();
    await this.#ctx.media.abandonTarget(this.#tags, leg.tag);
    if (leg.cancelled) {
      leg.record.hangupCause ??= 'cancelled by the trunk';
      this.#maybeFinish();
      return;
    }
    const status = leg.timedOut ? 408 : res.status;
    const reason = leg.timedOut ? 'Request Timeout' : res.reason;
    leg.record.status = status;
    leg.record.hangupCause = `target ${status} ${reason}`;
    this.#setState('failed', 'target', `${status} ${reason}`);
    this.#feed({ type: 'targetFailed', referCseq: leg.cseq, status, reason });
    this.#maybeFinish();
  }

  #onTargetRequest(leg: TargetLeg, req: BackendRequest): void {
    if (req.method !== 'BYE') {
      req.respond(200);
      return;
    }
    req.respond(200);
    leg.live = false;
    leg.record.endedAt = Date.now();
    leg.record.hangupCause = 'target hung up';
    this.#setState('target-hung-up', 'target');
    if (this.#machine?.state.kind === 'transferred' && this.#customerLive) {
      this.#record.hangupCause = 'target hung up after the transfer';
      void this.#customerDialog?.request('BYE');
    }
    this.#maybeFinish();
  }

  async #cancelTarget(cseq: number): Promise<void> {
    const leg = this.#targets.get(cseq);
    if (!leg || leg.cancelled) return;
    leg.cancelled = true;
    clearTimeout(leg.timer);
    leg.record.hangupCause = 'cancelled by the trunk';
    this.#setState('cancelled', 'target');
    leg.invite?.cancel();
    if (!leg.invite) {
      leg.live = false;
      await this.#ctx.media.abandonTarget(this.#tags, leg.tag);
    }
  }

  async #bridge(cseq: number): Promise<void> {
    const leg = this.#targets.get(cseq);
    if (!leg) return;
    const sdp = await this.#ctx.media.bridgeTarget(this.#tags, leg.tag, leg.sdp);
    if (sdp !== undefined && this.#customerDialog && this.#customerLive) {
      this.#customerOffer = sdp;
      const res = await this.#customerDialog.request('INVITE', {
        headers: { 'Content-Type': 'application/sdp' },
        body: sdp,
      });
      if (res.status >= 200 && res.status < 300 && hasSdp(res.body)) this.#customerSdp = res.body;
      else this.#log.warn({ status: res.status }, 're-INVITE of the customer failed');
    }
    await this.#ctx.media.dropEndpoint(this.#tags);
    this.#record.hangupCause = 'transferred';
    this.#setState('bridged', 'customer', `customer bridged to ${leg.number}`);
  }

  /**
   * Sends BYE on a leg without waiting for its answer: a BYE to a dead Contact takes 64 x T1 to
   * time out and must not hold the effects queued behind it.
   */
  #hangUp(leg: 'caller' | 'transferor' | 'target', referCseq: number | undefined): void {
    const bye = (dialog: BackendDialog): void => {
      void dialog.request('BYE').then((res) => {
        if (res.status >= 300) this.#log.info({ leg, status: res.status }, 'BYE not answered 2xx');
      });
    };
    switch (leg) {
      case 'caller':
        if (this.#customerDialog && this.#customerLive) bye(this.#customerDialog);
        else this.#customerInvite?.cancel();
        return;
      case 'transferor':
        if (this.#endpointDialog && this.#endpointLive) {
          this.#endpointLive = false;
          bye(this.#endpointDialog);
          this.#maybeFinish();
        }
        return;
      case 'target': {
        const target = referCseq === undefined ? undefined : this.#targets.get(referCseq);
        if (target?.dialog && target.live) bye(target.dialog);
        return;
      }
      default: {
        const never: never = leg;
        this.#log.warn({ leg: never }, 'unknown leg');
      }
    }
  }

  /** Hangs up every live leg (trunk shutdown) and resolves once the call is finished. */
  async shutdown(): Promise<void> {
    if (this.#finished) return;
    if (!this.#endpointDialog && this.#endpointLive) {
      this.#invite.respond(503, 'Service Unavailable');
      this.#endpointLive = false;
    }
    const byes: Promise<unknown>[] = [];
    if (this.#endpointDialog && this.#endpointLive) byes.push(this.#endpointDialog.request('BYE'));
    if (this.#customerDialog && this.#customerLive) byes.push(this.#customerDialog.request('BYE'));
    else this.#customerInvite?.cancel();
    for (const leg of this.#targets.values()) {
      clearTimeout(leg.timer);
      if (leg.dialog && leg.live) byes.push(leg.dialog.request('BYE'));
      else if (leg.live) {
        leg.cancelled = true;
        leg.invite?.cancel();
      }
    }
    this.#record.hangupCause ??= 'trunk shut down';
    await Promise.race([Promise.all(byes), new Promise((r) => setTimeout(r, 2000).unref())]);
    this.#endpointLive = false;
    this.#customerLive = false;
    for (const leg of this.#targets.values()) leg.live = false;
    await this.#queue;
    this.#maybeFinish();
  }

  #maybeFinish(): void {
    if (this.#finished || this.#endpointLive || this.#customerLive) return;
    for (const leg of this.#targets.values()) if (leg.live) return;
    this.#finished = true;
    for (const leg of this.#targets.values()) clearTimeout(leg.timer);
    const now = Date.now();
    this.#record.endedAt = now;
    for (const leg of this.#targets.values()) leg.record.endedAt ??= now;
    this.#state = 'ended';
    void this.#queue
      .then(() => this.#ctx.media.release(this.#tags))
      .finally(() => {
        this.#setState('ended', undefined, this.#record.hangupCause);
        this.#ctx.finished(this, this.records());
      });
  }
}
