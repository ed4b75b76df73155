import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { createRtpEngineController, startRtpEngine } from '@referkit/media';
import { DIGEST_ALGORITHMS, Headers, createDigestAuthenticator } from '@referkit/sip';
import type { RtpEngineController, RtpEngineSupervisor } from '@referkit/media';
import pino from 'pino';
import type { Logger } from 'pino';
import { createDrachtioBackend } from '../backend/drachtio-backend.js';
import { createSipBackend } from '../backend/sip-backend.js';
import type { BackendRequest, SignallingBackend } from '../backend/types.js';
import { startHttpApi } from '../http/index.js';
import type { CallDetail, HttpApi, HttpSource } from '../http/index.js';
import { mermaidLadder, writePcapng } from '../observe/index.js';
import type { TrunkEvent } from '../observe/types.js';
import { DEFAULT_PHONES, startPhoneBank } from '../phones/index.js';
import type { PhoneBank } from '../phones/types.js';
import { DEFAULT_ACL, createAcl } from './admission.js';
import { TrunkCall, reasonFor } from './call.js';
import type { CallContext, RouteResult } from './call.js';
import { noMedia, rtpengineMedia } from './media.js';
import type { MediaAnchor } from './media.js';
import { profileOf } from './refer-verdict.js';
import { SipTracer } from './trace.js';
import type { CallRecord, CallSummary, MockTrunk, MockTrunkOptions, TrunkListen } from './types.js';
import { parseSipUri } from '@referkit/validators';
import { isE164Syntax, userOf, userOfUri } from './uri.js';

/** Default termination domain. */
export const DEFAULT_DOMAIN = 'lab.zt.plivo.com';
/** Default caller ID of transfer legs (the account's number). */
export const DEFAULT_TRUNK_NUMBER = '+14155550199';
/** Default ring timeout of transfer targets (ms). */
export const DEFAULT_RING_TIMEOUT_MS = 30_000;

const EVENT_BUFFER = 10_000;
const DEFAULT_KEEP_RECORDS = 10_000;
const ALLOW = 'INVITE, ACK, CANCEL, BYE, REFER, NOTIFY, OPTIONS, INFO, UPDATE';

/** A configuration the trunk cannot run with (bad route, CIDR, number...). */
export class TrunkConfigError extends Error {
  /**
   * @param message - what is wrong and how to fix it
   */
  constructor(message: string) {
    super(message);
    this.name = 'TrunkConfigError';
  }
}

/**
 * Parses a route target: `status:<code>` or a SIP URI with a literal IP host
 * (`;transport=tcp` selects TCP, default port 5060).
 */
export function parseRouteTarget(number: string, target: string): RouteResult {
  const status = /^status:(\d{3})$/.exec(target.trim());
  if (status) {
    const code = Number(status[1]);
    if (code < 300 || code > 699)
      throw new TrunkConfigError(`route ${number}: status must be 300-699, got ${code}`);
    return { kind: 'status', status: code, reason: reasonFor(code) };
  }
  const parsed = parseSipUri(target.trim());
  const uri = parsed.ok ? parsed.value : undefined;
  if (!uri || uri.scheme !== 'sip' || uri.hostType === 'domain') {
    throw new TrunkConfigError(
      `route ${number}: "${target}" is not a SIP URI with a literal IP host (e.g. sip:${number}@127.0.0.1:5080) nor status:<code>`,
    );
  }
  const transport = uri.params.transport?.toLowerCase() === 'tcp' ? 'tcp' : 'udp';
  return {
    kind: 'sip',
    uri: target.trim(),
    destination: { transport, host: uri.host, port: uri.port ?? 5060 },
  };
}

function sipUriOf(number: string, host: string, port: number): string {
  return `sip:${number}@${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The newest `keep` readable records of the file, oldest first (the file keeps them all). */
function loadRecords(file: string | undefined, keep: number, logger: Logger): CallRecord[] {
  if (file === undefined || !existsSync(file)) return [];
  const newestFirst: CallRecord[] = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = lines.length - 1; i >= 0 && newestFirst.length < keep; i--) {
    const line = lines[i] ?? '';
    if (line.trim() === '') continue;
    try {
      newestFirst.push(JSON.parse(line) as CallRecord);
    } catch (err) {
      logger.warn({ err, file }, 'skipping an unreadable call record line');
    }
  }
  return newestFirst.reverse();
}

/**
 * Starts a Plivo-faithful mock SIP trunk: admission by IP ACL or digest, outbound calls to
 * `sip:<E.164>@<domain>`, REFER blind transfers exactly like Plivo's (202, NOTIFY 100 / 180 /
 * final, BYE to the transferor), media anchored in rtpengine (or `media: 'none'`), call records
 * and an event stream.
 *
 * @example
 * ```ts
 * const trunk = await startMockTrunk({ media: 'none', phones: false,
 *   routes: { '+14155550100': 'sip:+14155550100@127.0.0.1:5080' } });
 * // INVITE sip:+14155550100@lab.zt.plivo.com to trunk.addresses[0]...
 * await trunk.close();
 * ```
 *
 * @throws {@link TrunkConfigError} for a bad route, CIDR, number or option.
 */
export async function startMockTrunk(options: MockTrunkOptions = {}): Promise<MockTrunk> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const domain = (options.domain ?? DEFAULT_DOMAIN).toLowerCase();
  const trunkNumber = options.trunkNumber ?? DEFAULT_TRUNK_NUMBER;
  if (!isE164Syntax(trunkNumber)) throw new TrunkConfigError(`trunk number "${trunkNumber}" is not E.164`);
  const ringTimeoutMs = options.ringTimeoutMs ?? DEFAULT_RING_TIMEOUT_MS;
  if (!(ringTimeoutMs > 0)) throw new TrunkConfigError('ringTimeoutMs must be > 0');
  const keepRecords = options.keepRecords ?? DEFAULT_KEEP_RECORDS;
  if (!(Number.isInteger(keepRecords) && keepRecords > 0))
    throw new TrunkConfigError(`keepRecords must be a whole number > 0, got ${keepRecords}`);
  let acl;
  try {
    acl = createAcl(options.acl ?? DEFAULT_ACL);
  } catch (err) {
    throw new TrunkConfigError(err instanceof Error ? err.message : String(err));
  }
  const routes = new Map<string, RouteResult>();
  for (const [number, target] of Object.entries(options.routes ?? {})) {
    if (!/^\+?\d{1,15}$/.test(number))
      throw new TrunkConfigError(`route key "${number}" is not an E.164 number or prefix`);
    routes.set(number, parseRouteTarget(number, target));
  }
  if (options.digestAlgorithms !== undefined) {
    if (options.digestAlgorithms.length === 0)
      throw new TrunkConfigError('digestAlgorithms needs at least one algorithm');
    for (const a of options.digestAlgorithms)
      if (!(DIGEST_ALGORITHMS as readonly string[]).includes(a))
        throw new TrunkConfigError(
          `digest algorithm "${String(a)}" is not one of ${DIGEST_ALGORITHMS.join(', ')}`,
        );
  }
  if (options.phonesHost !== undefined && isIP(options.phonesHost) === 0)
    throw new TrunkConfigError(`phonesHost "${options.phonesHost}" is not a literal IP address`);
  const listen: readonly TrunkListen[] = options.listen ?? [{ transport: 'udp', host: '127.0.0.1', port: 0 }];
  if (listen.length === 0) throw new TrunkConfigError('at least one listen address is needed');
  if (options.drachtio && options.backend)
    throw new TrunkConfigError('drachtio and backend both choose the signalling backend: give one');
  if (options.drachtio && options.listen)
    throw new TrunkConfigError(
      "listen does not apply with drachtio: the trunk listens on drachtio-server's own SIP addresses",
    );

  // Everything started so far, stopped in reverse on failure or close.
  const cleanups: (() => Promise<void>)[] = [];
  const undo = async (): Promise<void> => {
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        logger.warn({ err }, 'cleanup step failed');
      }
    }
  };

  const listeners = new Set<(event: TrunkEvent) => void>();
  const buffer: TrunkEvent[] = [];
  const emit = (event: TrunkEvent): void => {
    buffer.push(event);
    // Trimmed in batches: a splice per event would move 10 000 entries each time.
    if (buffer.length > 2 * EVENT_BUFFER) buffer.splice(0, buffer.length - EVENT_BUFFER);
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (err) {
        logger.warn({ err }, 'event listener threw');
      }
    }
  };
  const tracer = new SipTracer(emit);
  const records: CallRecord[] = loadRecords(options.recordsFile, keepRecords, logger);
  // Trimmed in batches, as the event buffer is; reads see the newest `keepRecords` only.
  const kept = (): CallRecord[] =>
    records.length > keepRecords ? records.slice(records.length - keepRecords) : records;
  const calls = new Map<string, TrunkCall>();

  try {
    let media: MediaAnchor = noMedia();
    let controller: RtpEngineController | undefined;
    let supervisor: RtpEngineSupervisor | undefined;
    if ((options.media ?? 'rtpengine') === 'rtpengine') {
      if (options.rtpengine) {
        controller = await createRtpEngineController({
          host: options.rtpengine.host,
          port: options.rtpengine.port,
          logger,
        });
      } else {
        supervisor = await startRtpEngine({ deleteDelay: 0, logger });
        cleanups.push(() => supervisor?.stop() ?? Promise.resolve());
        controller = await supervisor.controller({ logger });
      }
      const c = controller;
      cleanups.push(() => {
        c.close();
        return Promise.resolve();
      });
      // An rtpengine given by address: fail now, not on the first call, when nothing answers there.
      const given = options.rtpengine;
      if (given) {
        await controller.ping().catch((err: unknown) => {
          const why = err instanceof Error ? err.message : String(err);
          throw new Error(
            `rtpengine at ${given.host}:${given.port} does not answer ping (${why}): start it, or leave out the rtpengine option to supervise a local one`,
            { cause: err },
          );
        });
      }
      media = rtpengineMedia({ controller, transcode: options.transcode, logger });
      const m = media;
      cleanups.push(() => m.close());
    }

    let phoneBank: PhoneBank | undefined;
    if (options.phones !== false) {
      try {
        phoneBank = await startPhoneBank({
          phones: options.phones ?? DEFAULT_PHONES,
          ...(options.phonesHost !== undefined ? { host: options.phonesHost } : {}),
          captureRtp: options.captureRtp,
          logger,
          // What a phone hears, tagged with the trunk call its SIP dialog belongs to.
          onEvent: (e) =>
            emit(
              e.type === 'media' && e.call === undefined && e.callId !== undefined
                ? { ...e, call: tracer.lookup(e.callId)?.call }
                : e,
            ),
        });
        const bank = phoneBank;
        cleanups.push(() => bank.close());
      } catch (err) {
        if (options.phones !== undefined || options.phonesHost !== undefined) throw err;
        logger.warn({ err }, 'simulated phones unavailable; only routes are served');
      }
    }

    const route = (number: string): RouteResult | undefined => {
      let best: RouteResult | undefined;
      let bestLength = -1;
      for (const [prefix, target] of routes) {
        if (number.startsWith(prefix) && prefix.length > bestLength) {
          best = target;
          bestLength = prefix.length;
        }
      }
      if (best) return best;
      if (phoneBank?.numbers.includes(number)) {
        const { host, port } = phoneBank.address;
        return {
          kind: 'sip',
          uri: sipUriOf(number, host, port),
          destination: { transport: 'udp', host, port },
        };
      }
      return undefined;
    };

    const backend: SignallingBackend = options.backend
      ? await options.backend(listen)
      : options.drachtio
        ? await createDrachtioBackend({ ...options.drachtio, logger })
        : await createSipBackend({
            listen: [
              ...listen.map((l) => ({
                transport: l.transport,
                host: l.host ?? '127.0.0.1',
                port: l.port ?? 0,
              })),
              // Legs to UDP peers (the simulated phones, UDP routes) need a UDP socket even when the
              // endpoint side is TCP only: one on an ephemeral port of the same host.
              ...(listen.some((l) => l.transport === 'udp')
                ? []
                : [{ transport: 'udp' as const, host: listen[0]?.host ?? '127.0.0.1', port: 0 }]),
            ],
            timers: options.sipTimers,
            logger,
            userAgent: 'referkit-mock-trunk',
          });
    cleanups.push(() => backend.close());
    backend.onMessage((m) => tracer.push(m));

    const ctx: CallContext = {
      backend,
      media,
      logger,
      domain,
      trunkNumber,
      ringTimeoutMs,
      profile: profileOf({ domain, geo: options.geo, homeCountry: options.homeCountry }),
      route,
      emit,
      bind: (sipCallId, call, leg) => tracer.bind(sipCallId, call, leg),
      finished(call, callRecords) {
        calls.delete(call.id);
        for (const record of callRecords) {
          records.push(record);
          if (records.length >= 2 * keepRecords) records.splice(0, records.length - keepRecords);
          emit({ type: 'record', at: Date.now(), call: call.id, record });
          if (options.recordsFile !== undefined) {
            try {
              appendFileSync(options.recordsFile, `${JSON.stringify(record)}\n`);
            } catch (err) {
              logger.error({ err, file: options.recordsFile }, 'cannot write the call record');
            }
          }
        }
        logger.info({ call: call.id, records: callRecords }, 'call ended');
      },
    };

    // Digest for sources outside the ACL: 407 with Proxy-Authenticate (SHA-256 and MD5 unless
    // told otherwise), 403 for a wrong password or unknown user (Plivo answers bad credentials
    // with 403).
    const digest = options.credentials
      ? createDigestAuthenticator({
          realm: domain,
          proxy: true,
          ...(options.digestAlgorithms !== undefined ? { algorithms: options.digestAlgorithms } : {}),
          users: { [options.credentials.user]: options.credentials.password },
          onInvalid: 'forbidden',
          checkUri: false,
        })
      : undefined;
    const admit = (req: BackendRequest): boolean => {
      if (acl.allows(req.remote.host)) return true;
      if (!digest) {
        req.respond(403, 'Forbidden');
        logger.info({ remote: req.remote }, 'refused: source address not in the ACL');
        return false;
      }
      const result = digest.verify({
        method: req.method,
        uri: req.uri,
        headers: new Headers(
          req.headerLines('Proxy-Authorization').map((v) => ['Proxy-Authorization', v] as const),
        ),
        body: Buffer.from(req.body),
      });
      if (result.ok) return true;
      const code = result.error.code;
      if (code === 'UNKNOWN_USER' || code === 'WRONG_RESPONSE') {
        req.respond(403, 'Forbidden');
        logger.info({ remote: req.remote, code }, 'refused: bad digest credentials');
        return false;
      }
      const challenge = digest.challenge({ stale: code === 'STALE_NONCE' });
      const headers: Record<string, string[]> = {};
      for (const [name, value] of challenge.headers) (headers[name] ??= []).push(value);
      req.respond(challenge.status, challenge.reason, { headers });
      return false;
    };

    backend.onRequest((req) => {
      switch (req.method) {
        case 'INVITE':
          break;
        case 'OPTIONS':
          req.respond(200, 'OK', { headers: { Allow: ALLOW } });
          return;
        case 'REFER':
        case 'NOTIFY':
        case 'BYE':
        case 'INFO':
        case 'UPDATE':
          req.respond(481, 'Call/Transaction Does Not Exist');
          return;
        default:
          req.respond(405, 'Method Not Allowed', { headers: { Allow: ALLOW } });
          return;
      }
      if (!admit(req)) return;
      const number = userOfUri(req.uri);
      if (number === undefined || !isE164Syntax(number)) {
        req.respond(484, 'Address Incomplete');
        return;
      }
      const target = route(number);
      if (!target) {
        req.respond(404, 'Not Found');
        return;
      }
      if (target.kind === 'status') {
        req.respond(target.status, target.reason);
        return;
      }
      const from = userOf(req.header('From')) ?? trunkNumber;
      const call = new TrunkCall(ctx, req, number, from);
      calls.set(call.id, call);
      call.start(target).catch((err: unknown) => logger.error({ err, call: call.id }, 'call failed'));
    });

    const eventsOf = (id: string): TrunkEvent[] => buffer.filter((e) => e.call === id);
    const source: HttpSource = {
      listCalls: () => [
        ...[...calls.values()].map((c) => ({ ...c.summary() })),
        ...kept()
          .filter((r) => r.kind === 'original' && !calls.has(r.call))
          .map((r) => ({ id: r.call, from: r.from, to: r.to, state: 'ended', startedAt: r.startedAt })),
      ],
      getCall(id): CallDetail | undefined {
        const live = calls.get(id);
        const recs = live ? live.records() : kept().filter((r) => r.call === id);
        if (recs.length === 0) return undefined;
        return { id, record: recs, ladder: mermaidLadder(eventsOf(id)) };
      },
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      pcap(id, opts) {
        const live = calls.get(id);
        const recs = live ? live.records() : kept().filter((r) => r.call === id);
        if (recs.length === 0) return undefined;
        // RTP as the simulated phones saw it (kept only with `captureRtp`).
        const bank = phoneBank;
        const rtp =
          opts.rtp && bank
            ? recs.flatMap((r) => (r.sipCallId === undefined ? [] : bank.rtpPackets(r.sipCallId)))
            : undefined;
        return writePcapng(eventsOf(id), rtp === undefined ? {} : { rtp });
      },
    };

    let http: HttpApi | undefined;
    if (options.http) {
      http = await startHttpApi({
        host: options.http.host,
        port: options.http.port,
        credentials: options.httpCredentials,
        source,
        logger,
      });
      const api = http;
      cleanups.push(() => api.close());
    }

    let closing: Promise<void> | undefined;
    const trunk: MockTrunk = {
      // The configured addresses (not the UDP socket added for legs when only TCP is configured).
      addresses: options.drachtio
        ? backend.addresses
        : backend.addresses.filter((a) => listen.some((l) => l.transport === a.transport)),
      domain,
      httpUrl: http?.url,
      phoneBank,
      rtpengine: controller,
      uriFor: (number) => `sip:${number}@${domain}`,
      subscribe: (listener) => source.subscribe(listener),
      events: () => buffer.slice(-EVENT_BUFFER),
      waitFor<E extends TrunkEvent = TrunkEvent>(
        predicate: (event: TrunkEvent) => boolean,
        timeoutMs = 10_000,
      ) {
        const past = buffer.find(predicate);
        if (past) return Promise.resolve(past as E);
        return new Promise<E>((resolve, reject) => {
          const timer = setTimeout(() => {
            listeners.delete(listener);
            reject(new Error(`no matching trunk event within ${timeoutMs} ms`));
          }, timeoutMs);
          const listener = (event: TrunkEvent): void => {
            if (!predicate(event)) return;
            clearTimeout(timer);
            listeners.delete(listener);
            resolve(event as E);
          };
          listeners.add(listener);
        });
      },
      calls: (): CallSummary[] => [...calls.values()].map((c) => c.summary()),
      records: () => [...kept()],
      activeDialogs: () => backend.activeDialogs(),
      close() {
        closing ??= (async () => {
          await Promise.all([...calls.values()].map((c) => c.shutdown()));
          await undo();
          listeners.clear();
        })();
        return closing;
      },
    };
    logger.info(
      { addresses: trunk.addresses, domain, media: options.media ?? 'rtpengine', http: trunk.httpUrl },
      'mock trunk listening',
    );
    return trunk;
  } catch (err) {
    await undo();
    throw err;
  }
}
