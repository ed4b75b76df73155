import type { TrunkRecord } from '@referkit/core';
import type { RtpEngineController } from '@referkit/media';
import type { DigestAlgorithm } from '@referkit/sip';
import type { Logger } from 'pino';
import type { SignallingBackend } from '../backend/types.js';
import type { TrunkEvent } from '../observe/types.js';
import type { PhoneBank, PhoneProfile } from '../phones/types.js';

/** An address to listen on for SIP. */
export interface TrunkListen {
  /** `udp` or `tcp`. */
  readonly transport: 'udp' | 'tcp';
  /** Literal IPv4 / IPv6 address (default `127.0.0.1`). */
  readonly host?: string | undefined;
  /** Port; 0 (default) picks an ephemeral one. */
  readonly port?: number | undefined;
}

/** Digest credentials (user name and password). */
export interface TrunkCredentials {
  /** User name. */
  readonly user: string;
  /** Password. */
  readonly password: string;
}

/** Options of {@link startMockTrunk}. Every field is optional. */
export interface MockTrunkOptions {
  /** SIP listen addresses (default one UDP socket on 127.0.0.1, ephemeral port). */
  readonly listen?: readonly TrunkListen[] | undefined;
  /** Termination domain (default `lab.zt.plivo.com`). */
  readonly domain?: string | undefined;
  /**
   * Routes by E.164 number or prefix (longest match wins) to a SIP URI with a literal IP host
   * (`sip:+14155550100@127.0.0.1:5080`, `;transport=tcp` for TCP), or to `status:<code>` to
   * answer every call to it with that status (e.g. `status:503` for an unreachable number).
   */
  readonly routes?: Readonly<Record<string, string>> | undefined;
  /**
   * Built-in simulated phones by number (default the lab's numbers, `DEFAULT_PHONES`); `false`
   * starts none. Routes win over phones.
   */
  readonly phones?: Readonly<Record<string, PhoneProfile>> | false | undefined;
  /**
   * Literal IP address the simulated phones bind their SIP and RTP sockets to (default
   * `127.0.0.1`). Set it to an address the SIP peer can reach when the trunk's SIP runs
   * elsewhere, e.g. on a drachtio-server in another container.
   */
  readonly phonesHost?: string | undefined;
  /** Source addresses admitted without credentials, as CIDRs (default loopback: 127.0.0.0/8, ::1/128). */
  readonly acl?: readonly string[] | undefined;
  /** Digest credentials: requests from outside the ACL must authenticate (407 challenge). */
  readonly credentials?: TrunkCredentials | undefined;
  /**
   * Digest algorithms the 407 challenge offers, preferred first (default `['SHA-256', 'MD5']`,
   * one `Proxy-Authenticate` each, RFC 8760 order). `['MD5']` suits UAs that answer only the
   * first challenge and only with MD5 (SIPp, older softphones).
   */
  readonly digestAlgorithms?: readonly DigestAlgorithm[] | undefined;
  /** Countries (ISO 3166 alpha-2) enabled under Geo Permissions besides `homeCountry` (default none: only the home country). */
  readonly geo?: readonly string[] | undefined;
  /** The account's home country (default `US`). */
  readonly homeCountry?: string | undefined;
  /** `rtpengine` (default) anchors media in rtpengine; `none` is signalling only. */
  readonly media?: 'rtpengine' | 'none' | undefined;
  /** rtpengine's ng address; default: start and supervise a local `/usr/bin/rtpengine`. */
  readonly rtpengine?: { readonly host: string; readonly port: number } | undefined;
  /** Let rtpengine transcode between legs with no codec in common. */
  readonly transcode?: boolean | undefined;
  /** HTTP API address (off unless given). */
  readonly http?: { readonly host: string; readonly port: number } | undefined;
  /** Credentials for the HTTP API (required to bind a non-loopback address). */
  readonly httpCredentials?: TrunkCredentials | undefined;
  /** The account's number: caller ID of transfer legs (default `+14155550199`). */
  readonly trunkNumber?: string | undefined;
  /** How long a transfer target may ring before the trunk gives up with 408 (default 30 000 ms). */
  readonly ringTimeoutMs?: number | undefined;
  /** SIP timers in ms (T1 default 500: a NOTIFY to a dead Contact times out after 64 x T1). */
  readonly sipTimers?: { readonly t1?: number; readonly t2?: number; readonly t4?: number } | undefined;
  /** RTP packets each simulated phone keeps per call for pcapng export (`?rtp=1`); default 0 (none). */
  readonly captureRtp?: number | undefined;
  /** Append each finished call record as a JSON line here; records already in the file are loaded at start. */
  readonly recordsFile?: string | undefined;
  /**
   * How many finished call records the trunk keeps in memory (`records()`, the HTTP API), the
   * newest; default 10 000. Older ones are forgotten, so a long-running trunk does not grow
   * without bound; `recordsFile` keeps every record.
   */
  readonly keepRecords?: number | undefined;
  /** pino logger (default: silent). */
  readonly logger?: Logger | undefined;
  /**
   * Run the trunk's SIP on a drachtio-server (its control address and secret) instead of the
   * built-in `@referkit/sip` engine: the trunk listens where drachtio-server does, so `listen`
   * and `sipTimers` do not apply. Needs drachtio-srf installed (an optional peer dependency).
   */
  readonly drachtio?: { readonly host: string; readonly port: number; readonly secret: string } | undefined;
  /** Use another signalling backend instead of the built-in `@referkit/sip` one. */
  readonly backend?: ((listen: readonly TrunkListen[]) => Promise<SignallingBackend>) | undefined;
}

/** A call record (Plivo's CDR): one for the original call, one per transfer leg. */
export interface CallRecord {
  /** Record id: the trunk call id for the original call, `<call>/t<cseq>` for a transfer leg. */
  readonly id: string;
  /** Trunk call id the record belongs to. */
  readonly call: string;
  /** `original` (endpoint -> customer) or `transfer` (trunk -> target). */
  readonly kind: 'original' | 'transfer';
  /** Caller ID (E.164 or SIP user). */
  readonly from: string;
  /** Called number. */
  readonly to: string;
  /** SIP Call-ID of the leg placed by the trunk. */
  readonly sipCallId: string | undefined;
  /** When the call started (epoch ms). */
  readonly startedAt: number;
  /** When it was answered. */
  answeredAt: number | undefined;
  /** When it ended. */
  endedAt: number | undefined;
  /** Final SIP status of the placed leg (200 when answered). */
  status: number | undefined;
  /** Why it ended, e.g. `customer hung up`, `transferred`, `transferor hung up before the transfer completed`. */
  hangupCause: string | undefined;
  /** Notes from the trunk machine (refused REFERs, failed NOTIFYs, early BYE...). */
  readonly notes: TrunkRecord[];
  /** Flags for troubleshooting, e.g. `no-common-codec`. */
  readonly flags: string[];
}

/** A live call as listed by {@link MockTrunk.calls}. */
export interface CallSummary {
  /** Trunk call id. */
  readonly id: string;
  /** Caller ID. */
  readonly from: string;
  /** Customer number. */
  readonly to: string;
  /** Call state: `routing`, `ringing`, `answered`, `transferring`, `transferred`, `ended`. */
  readonly state: string;
  /** SIP Call-ID of the endpoint's INVITE. */
  readonly sipCallId: string;
  /** When it started (epoch ms). */
  readonly startedAt: number;
}

/** A running mock trunk. */
export interface MockTrunk {
  /** SIP addresses the trunk listens on. */
  readonly addresses: readonly {
    readonly transport: 'udp' | 'tcp';
    readonly host: string;
    readonly port: number;
  }[];
  /** Termination domain. */
  readonly domain: string;
  /** HTTP API base URL, when started. */
  readonly httpUrl: string | undefined;
  /** Where the simulated phones listen, when started. */
  readonly phoneBank: PhoneBank | undefined;
  /** The rtpengine controller, when media is `rtpengine` (e.g. to `list` calls in tests). */
  readonly rtpengine: RtpEngineController | undefined;
  /** `sip:<number>@<domain>` for a customer number. */
  uriFor(number: string): string;
  /** Subscribes to the event stream; returns the unsubscribe function. */
  subscribe(listener: (event: TrunkEvent) => void): () => void;
  /** Events so far (the most recent 10 000). */
  events(): readonly TrunkEvent[];
  /** Resolves with the first event (past or future) matching `predicate`; rejects after `timeoutMs` (default 10 000). */
  waitFor<E extends TrunkEvent = TrunkEvent>(
    predicate: (event: TrunkEvent) => boolean,
    timeoutMs?: number,
  ): Promise<E>;
  /** Live calls. */
  calls(): CallSummary[];
  /** The call records written so far, oldest first (finished calls, and those loaded from `recordsFile`), at most `keepRecords` of them. */
  records(): CallRecord[];
  /** Live SIP dialogs held by the backend (leak checks). */
  activeDialogs(): number;
  /** Hangs up every call and frees every socket, timer and rtpengine session. Idempotent. */
  close(): Promise<void>;
}
