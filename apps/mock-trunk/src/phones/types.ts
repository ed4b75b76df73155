import type { Logger, ToneSegment } from '@referkit/media';
import type { PcapRtpPacket } from '../observe/pcapng.js';
import type { TrunkEvent } from '../observe/types.js';

/** How a simulated phone behaves when called. */
export interface PhoneProfile {
  /**
   * - `answer`: 180, then 200 with SDP after `answerAfterMs` (default 500); plays its tone.
   * - `busy`: 486 Busy Here at once.
   * - `no-answer`: 180 Ringing until CANCEL (the caller's ring timeout decides).
   * - `decline`: 180, then 603 Decline after `answerAfterMs` (default 200).
   * - `unreachable`: 503 Service Unavailable at once (a phone that cannot be reached).
   * - `hangup-after`: answers like `answer`, then sends BYE after `hangupAfterMs` (default 5000).
   */
  readonly kind: 'answer' | 'busy' | 'no-answer' | 'decline' | 'unreachable' | 'hangup-after';
  /** Delay before answering (or declining), in ms. */
  readonly answerAfterMs?: number | undefined;
  /** For `hangup-after`: time from answer to BYE, in ms. */
  readonly hangupAfterMs?: number | undefined;
  /** Codecs the phone accepts, in preference order (default `['PCMU', 'PCMA']`); `['PCMA']` = PCMA only. */
  readonly codecs?: readonly ('PCMU' | 'PCMA')[] | undefined;
  /** Tone the phone plays once answered (Hz, default 1000). */
  readonly toneHz?: number | undefined;
  /** Final status for `busy` (486), `decline` (603) and `unreachable` (503), e.g. 404 or 480. */
  readonly rejectStatus?: number | undefined;
  /** For `no-answer`: give up with 480 after this many ms (default 180 000). */
  readonly maxRingMs?: number | undefined;
}

/** What a phone heard, as runs of equal classification (times in epoch ms). */
export interface HeardSegment extends ToneSegment {
  /**
   * `'tone:<Hz>'`, `'ringback'` (US 440+480 Hz; `hz` is then `null`), `'silence'` (quiet, or no
   * RTP arriving) or `'audio'` (sound that is no single tone).
   */
  readonly heard: string;
}

/** State of one call to a simulated phone. */
export type PhoneCallState = 'ringing' | 'answered' | 'rejected' | 'cancelled' | 'ended';

/** One call a simulated phone received. */
export interface PhoneCall {
  /** The called number (Request-URI user). */
  readonly number: string;
  /** SIP Call-ID of the INVITE. */
  readonly callId: string;
  /** The From header value of the INVITE. */
  readonly from: string;
  /** Current state. */
  readonly state: PhoneCallState;
  /** Final status the phone sent to the INVITE, once sent. */
  readonly status?: number | undefined;
  /** Codec the phone answered with, once answered. */
  readonly codec?: 'PCMU' | 'PCMA' | undefined;
  /** When the INVITE arrived (epoch ms). */
  readonly startedAt: number;
  /** When the phone answered (epoch ms). */
  readonly answeredAt?: number | undefined;
  /** When the call ended (epoch ms). */
  readonly endedAt?: number | undefined;
  /** Why it ended: `'bye-received'`, `'bye-sent'`, `'cancelled'`, `'rejected'`, `'closed'`. */
  readonly endReason?: string | undefined;
  /** What the phone heard on this call (its timeline since answer). */
  readonly heard: readonly HeardSegment[];
}

/** Options of {@link startPhoneBank}. */
export interface PhoneBankOptions {
  /** Address to bind the SIP UA and RTP sockets to (default `127.0.0.1`; `::1` works too). */
  readonly host?: string | undefined;
  /** Phones by E.164 number. */
  readonly phones: Readonly<Record<string, PhoneProfile>>;
  /** Address for RTP sockets (default: `host`). */
  readonly rtpHost?: string | undefined;
  /** pino-compatible logger (default: silent). */
  readonly logger?: Logger | undefined;
  /**
   * Keep up to this many received RTP packets per call (the most recent), for
   * {@link PhoneBank.rtpPackets} and pcapng exports (default 0: none; 3000 is a minute).
   */
  readonly captureRtp?: number | undefined;
  /** Receives a {@link MediaEvent} each time what a phone hears changes. */
  readonly onEvent?: ((event: TrunkEvent) => void) | undefined;
}

/** A running bank of simulated phones behind one SIP UA. */
export interface PhoneBank {
  /** Where the UA listens: send INVITEs for any phone here, with the number as Request-URI user. */
  readonly address: { readonly host: string; readonly port: number; readonly transport: 'udp' };
  /** The numbers served. */
  readonly numbers: readonly string[];
  /** What the phone with this number heard across all its calls (empty if unknown). */
  heard(number: string): HeardSegment[];
  /** Calls received so far (optionally only those to one number), oldest first. */
  calls(number?: string): PhoneCall[];
  /** Milliseconds the phone with this number heard `heard` (e.g. `'tone:800'`) since `since` (epoch ms), over all its calls. */
  heardMs(number: string, heard: string, since?: number): number;
  /**
   * Resolves with the milliseconds heard once the phone with this number has heard `heard` for at
   * least `minMs` (default 200) since `since` (epoch ms, default: ever). Rejects with a
   * `PhoneBankError` `TIMEOUT` after `timeoutMs` (default 10 000) or `CLOSED` when the bank closes.
   */
  waitForHeard(
    number: string,
    heard: string,
    options?: {
      readonly minMs?: number | undefined;
      readonly since?: number | undefined;
      readonly timeoutMs?: number | undefined;
    },
  ): Promise<number>;
  /**
   * RTP packets the phones received on the call with this SIP Call-ID (oldest first; empty
   * unless `captureRtp` was set), ready for `writePcapng(events, { rtp })`.
   */
  rtpPackets(callId: string): PcapRtpPacket[];
  /**
   * The phones hang up: every call (or every call of one number) ends from the phone's side, with
   * BYE when answered and 480 while ringing. Resolves when the BYEs are answered (or time out).
   */
  hangup(number?: string): Promise<void>;
  /** Ends every call (BYE / 480), closes every RTP session and the SIP UA. */
  close(): Promise<void>;
}
