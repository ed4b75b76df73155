/**
 * The events the mock trunk emits: every SIP message in and out, every state change, what the
 * simulated phones hear, and call records. They feed the event stream, the Mermaid ladder, the
 * pcapng export and the HTTP API.
 *
 * @packageDocumentation
 */

/** The leg of a trunk call a SIP message belongs to. */
export type CallLeg = 'endpoint' | 'customer' | 'target';

/** One SIP message sent or received, with its bytes. */
export interface SipTraceEvent {
  /** Discriminator. */
  readonly type: 'sip';
  /** When the message went out or arrived (epoch ms). */
  readonly at: number;
  /** `in`: received from `remote`; `out`: sent to `remote`. */
  readonly direction: 'in' | 'out';
  /** Transport the message travelled on. */
  readonly transport: 'udp' | 'tcp';
  /** Local address as `host:port` (IPv6 hosts in brackets or bare; both are accepted). */
  readonly local: string;
  /** Remote address as `host:port`. */
  readonly remote: string;
  /** The SIP Call-ID header value. */
  readonly callId: string;
  /** The trunk call id this message belongs to, when known. */
  readonly call?: string | undefined;
  /** The leg of that call, when known. */
  readonly leg?: CallLeg | undefined;
  /** The whole message as sent or received. */
  readonly raw: string;
  /** Short label, e.g. `"REFER"` or `"202 Accepted (REFER)"`. */
  readonly summary: string;
}

/** A state change of a trunk call or one of its legs. */
export interface StateEvent {
  /** Discriminator. */
  readonly type: 'state';
  /** When it happened (epoch ms). */
  readonly at: number;
  /** Trunk call id. */
  readonly call: string;
  /** Leg, when the change concerns one leg. */
  readonly leg?: string | undefined;
  /** The new state, e.g. `"ringing"`, `"transferring"`. */
  readonly state: string;
  /** Free text, e.g. `"transferor hung up before the transfer completed"`. */
  readonly detail?: string | undefined;
}

/** What a party hears changed (debounced tone detection on received RTP). */
export interface MediaEvent {
  /** Discriminator. */
  readonly type: 'media';
  /** When the change started (epoch ms). */
  readonly at: number;
  /** Trunk call id, when known. */
  readonly call?: string | undefined;
  /** SIP Call-ID of the dialog the party hears on, when known (lets the trunk correlate). */
  readonly callId?: string | undefined;
  /** The listening party: a phone number (E.164) or `'endpoint'`. */
  readonly party: string;
  /** `'tone:<Hz>'` (e.g. `'tone:800'`), `'ringback'` (US 440+480 Hz) or `'silence'`. */
  readonly heard: string;
}

/** A call record written by the trunk. */
export interface RecordEvent {
  /** Discriminator. */
  readonly type: 'record';
  /** When the record was written (epoch ms). */
  readonly at: number;
  /** Trunk call id. */
  readonly call: string;
  /** The record (JSON-serialisable). */
  readonly record: unknown;
}

/** Any event of the trunk's event stream. */
export type TrunkEvent = SipTraceEvent | StateEvent | MediaEvent | RecordEvent;
