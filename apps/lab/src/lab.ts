import { startMockTrunk, type MockTrunk, type TrunkEvent } from '@referkit/mock-trunk';
import { startEndpoint, type EndpointEvent, type EndpointHandle } from '@referkit/endpoint';
import { isRtpEngineInstalled, RTPENGINE_SETUP_COMMAND } from '@referkit/media';
import type { Logger } from 'pino';
import { startDashboard, LabHttpError, type LabBackend, type LabCallRow, type LabEvent } from './server.js';
import { LAB_NUMBERS, LAB_PHONES, labTargets } from './targets.js';

/** Options of {@link startLab}. */
export interface LabOptions {
  /** Address every part binds (default `127.0.0.1`). */
  readonly host?: string | undefined;
  /** The trunk's SIP port (default 5060; 0 picks a free one). */
  readonly sipPort?: number | undefined;
  /** The dashboard's HTTP port (default 8060; 0 picks a free one). */
  readonly httpPort?: number | undefined;
  /** `rtpengine` (default): real RTP anchored in a supervised rtpengine; `none`: signalling only. */
  readonly media?: 'rtpengine' | 'none' | undefined;
  /** The trunk's termination domain (default `lab.zt.plivo.com`). */
  readonly domain?: string | undefined;
  /** pino logger for every part (default silent). */
  readonly logger?: Logger | undefined;
}

/** A running lab. */
export interface Lab {
  /** The dashboard's URL. */
  readonly url: string;
  /** The mock trunk. */
  readonly trunk: MockTrunk;
  /** The reference endpoint, in serve mode. */
  readonly endpoint: EndpointHandle;
  /** Stops everything: calls, sockets, rtpengine and its sessions. Idempotent. */
  close(): Promise<void>;
}

/** Why the lab could not start, with the one line a person needs to fix it. */
export class LabStartError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LabStartError';
  }
}

function startFailure(what: string, port: number | undefined, err: unknown): LabStartError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return new LabStartError(
      `port ${port ?? '?'} for the ${what} is in use: stop whatever holds it (\`ss -lunpt | grep :${port ?? ''}\`) or pick another port with --${what === 'dashboard' ? 'http' : 'sip'}-port`,
      { cause: err },
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new LabStartError(`the ${what} did not start: ${message}`, { cause: err });
}

/** Who sent a SIP message and to whom, as the dashboard's ladder names the parties. */
function ladderArrow(event: TrunkEvent & { type: 'sip' }): { from: string; to: string } {
  const far = event.leg ?? 'endpoint';
  return event.direction === 'in' ? { from: far, to: 'trunk' } : { from: 'trunk', to: far };
}

function statusOf(summary: string): number | undefined {
  const match = /^(\d{3}) /.exec(summary);
  return match ? Number(match[1]) : undefined;
}

function hearingText(heard: string): string {
  if (heard === 'ringback') return 'ring-back';
  if (heard === 'silence') return 'silence';
  const tone = /^tone:(\d+)$/.exec(heard);
  if (!tone) return heard;
  const names: Record<string, string> = {
    '600': 'the agent (600 Hz)',
    '1000': 'the customer (1000 Hz)',
    '800': 'the transfer target (800 Hz)',
  };
  return names[tone[1] ?? ''] ?? `a ${tone[1]} Hz tone`;
}

function partyOf(party: string): string {
  if (party === LAB_NUMBERS.customer) return 'customer';
  if (party === 'endpoint') return 'endpoint';
  return 'target';
}

function transferText(event: EndpointEvent): LabEvent | undefined {
  switch (event.type) {
    case 'transferring':
      return { kind: 'transfer', callId: event.callId, text: 'Transferring...', tone: 'progress' };
    case 'transfer-progress':
      return {
        kind: 'transfer',
        callId: event.callId,
        text: event.stage === 'ringing' ? 'Ringing' : 'Trying',
        tone: 'progress',
      };
    case 'transfer-outcome': {
      if (event.outcome === 'succeeded') {
        return { kind: 'transfer', callId: event.callId, text: 'Connected', tone: 'connected' };
      }
      const status = event.code === undefined ? event.outcome : `${event.code} ${event.reason ?? ''}`.trim();
      return {
        kind: 'transfer',
        callId: event.callId,
        text: `Failed: ${status}, caller still with you`,
        tone: 'failed',
      };
    }
    case 'answered':
      return { kind: 'call', callId: event.callId, state: 'answered' };
    case 'ringing':
      return { kind: 'call', callId: event.callId, state: 'ringing' };
    case 'hangup':
    case 'call-failed':
      return { kind: 'call', callId: event.callId, state: 'ended' };
    case 'calling':
    case 'hearing':
      return undefined;
  }
}

/**
 * Starts the whole lab on loopback: the mock trunk (with its simulated customer and agent phones
 * and a supervised rtpengine), the reference endpoint in serve mode registered against it, and the
 * dashboard.
 */
export async function startLab(options: LabOptions = {}): Promise<Lab> {
  const host = options.host ?? '127.0.0.1';
  const media = options.media ?? 'rtpengine';
  const sipPort = options.sipPort ?? 5060;
  const httpPort = options.httpPort ?? 8060;
  if (media === 'rtpengine' && !(await isRtpEngineInstalled())) {
    throw new LabStartError(`rtpengine is not installed: run \`${RTPENGINE_SETUP_COMMAND}\` as root`);
  }

  const cleanups: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const trunk = await startMockTrunk({
      listen: [{ transport: 'udp', host, port: sipPort }],
      ...(options.domain === undefined ? {} : { domain: options.domain }),
      media,
      phones: LAB_PHONES,
      geo: [],
      ringTimeoutMs: 15_000,
      // The HTTP API serves each call's ladder and pcapng; the dashboard proxies them.
      http: { host, port: 0 },
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    }).catch((err: unknown) => {
      throw startFailure('trunk', sipPort, err);
    });
    cleanups.push(() => trunk.close());
    const address = trunk.addresses[0];
    if (!address) throw new LabStartError('the trunk reported no SIP address');

    const endpoint = await startEndpoint({
      trunk: { host: address.host, port: address.port },
      domain: trunk.domain,
      local: { host, port: 0 },
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    }).catch((err: unknown) => {
      throw startFailure('endpoint', undefined, err);
    });
    cleanups.push(() => endpoint.close());

    const listeners = new Set<(event: LabEvent) => void>();
    const emit = (event: LabEvent): void => {
      for (const listener of listeners) listener(event);
    };
    // The dashboard names a call by the endpoint's id; the trunk's events carry its own call id and
    // the endpoint's SIP Call-ID, which ties the two together.
    const labCallOfTrunkCall = new Map<string, string>();
    const labCallOfSipCallId = new Map<string, string>();
    const pending: TrunkEvent[] = [];
    const labCallFor = (event: TrunkEvent): string | undefined => {
      if ('call' in event && event.call !== undefined) {
        const known = labCallOfTrunkCall.get(event.call);
        if (known) return known;
        const summary = trunk.calls().find((c) => c.id === event.call);
        const byCallId = summary ? labCallOfSipCallId.get(summary.sipCallId) : undefined;
        if (byCallId) labCallOfTrunkCall.set(event.call, byCallId);
        return byCallId;
      }
      return undefined;
    };
    const forward = (event: TrunkEvent): void => {
      if (event.type === 'media') {
        emit({ kind: 'media', party: partyOf(event.party), hearing: hearingText(event.heard) });
        return;
      }
      if (event.type !== 'sip') return;
      const callId = labCallFor(event);
      if (!callId) {
        pending.push(event);
        if (pending.length > 200) pending.shift();
        return;
      }
      emit({
        kind: 'sip',
        callId,
        at: event.at,
        ...ladderArrow(event),
        label: event.summary,
        status: statusOf(event.summary),
      });
    };
    const unsubscribeTrunk = trunk.subscribe(forward);
    cleanups.push(() => Promise.resolve(unsubscribeTrunk()));
    const unsubscribeEndpoint = endpoint.subscribe((event) => {
      if (event.type === 'hearing') {
        emit({ kind: 'media', party: 'endpoint', hearing: hearingText(event.heard) });
        return;
      }
      const labEvent = transferText(event);
      if (labEvent) emit(labEvent);
    });
    cleanups.push(() => Promise.resolve(unsubscribeEndpoint()));

    const trunkCallOf = (labCall: string): string | undefined => {
      for (const [trunkCall, lab] of labCallOfTrunkCall) if (lab === labCall) return trunkCall;
      const sipCallId = endpoint.callState(labCall)?.sipCallId;
      return trunk.calls().find((c) => c.sipCallId === sipCallId)?.id;
    };
    const targets = labTargets(trunk.domain);
    const backend: LabBackend = {
      info: () => ({
        trunk: `${address.transport}:${address.host}:${address.port}`,
        domain: trunk.domain,
        customer: LAB_NUMBERS.customer,
        targets,
      }),
      startCall: async () => {
        const call = await endpoint.call(LAB_NUMBERS.customer);
        labCallOfSipCallId.set(call.sipCallId, call.id);
        for (const event of pending.splice(0)) forward(event);
        return { callId: call.id };
      },
      transfer: (callId, targetId) => {
        const target = targets.find((t) => t.id === targetId);
        if (!target) throw new LabHttpError(404, `no target ${targetId}`);
        if (!endpoint.hasCall(callId)) throw new LabHttpError(404, `no call ${callId}`);
        // The outcome arrives as events; the request returns once the REFER is on its way.
        void endpoint.transfer(callId, target.referTo, { validate: false }).catch(() => undefined);
        return Promise.resolve();
      },
      hangup: async (callId) => {
        if (!endpoint.hasCall(callId)) throw new LabHttpError(404, `no call ${callId}`);
        await endpoint.hangup(callId, { force: true });
      },
      calls: () => {
        const rows: LabCallRow[] = [];
        for (const record of trunk.records()) {
          const labCall = labCallOfTrunkCall.get(record.call) ?? record.call;
          rows.push({
            callId: labCall,
            leg: record.kind,
            from: record.from,
            to: record.to,
            state: record.endedAt === undefined ? 'up' : 'ended',
            ...(record.hangupCause === undefined ? {} : { outcome: record.hangupCause }),
          });
        }
        for (const live of trunk.calls()) {
          rows.push({
            callId: labCallOfTrunkCall.get(live.id) ?? live.id,
            leg: 'original',
            from: live.from,
            to: live.to,
            state: live.state,
          });
        }
        return rows;
      },
      pcap: async (callId) => {
        const trunkCall = trunkCallOf(callId);
        if (!trunkCall || !trunk.httpUrl) return undefined;
        const res = await fetch(new URL(`calls/${encodeURIComponent(trunkCall)}/pcap?rtp=1`, trunk.httpUrl));
        return res.ok ? new Uint8Array(await res.arrayBuffer()) : undefined;
      },
      subscribe: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };

    const dashboard = await startDashboard(backend, { host, port: httpPort }).catch((err: unknown) => {
      throw startFailure('dashboard', httpPort, err);
    });
    cleanups.push(() => dashboard.close());

    return {
      url: dashboard.url,
      trunk,
      endpoint,
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
