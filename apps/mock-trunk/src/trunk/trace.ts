import type { BackendWireMessage } from '../backend/types.js';
import type { CallLeg, SipTraceEvent } from '../observe/types.js';

// Compiled once: the tracer reads these two headers from every message in and out.
const CALL_ID = /^(?:Call-ID|i)[ \t]*:[ \t]*(.*)$/im;
const CSEQ = /^CSeq[ \t]*:[ \t]*(.*)$/im;

function header(text: string, re: RegExp): string | undefined {
  return re.exec(text)?.[1]?.trim();
}

function hostPort(a: { readonly host: string; readonly port: number }): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** `"REFER"` for a request, `"202 Accepted (REFER)"` for a response. */
export function summarize(raw: string): string {
  const end = raw.indexOf('\r\n');
  const first = end < 0 ? raw : raw.slice(0, end);
  if (first.startsWith('SIP/2.0 ')) {
    const method = header(raw, CSEQ)?.split(/\s+/)[1] ?? '?';
    return `${first.slice(8)} (${method})`;
  }
  return first.split(' ')[0] ?? first;
}

/**
 * A string of its own: V8 keeps a substring (or a regex capture) as a view of its parent, so a
 * short value taken from a message's text would keep the whole text alive.
 */
function own(value: string): string {
  return value.length < 13 ? value : Buffer.from(value, 'utf8').toString('utf8');
}

/**
 * The message's bytes in a backing store of their own: an outgoing message is usually a slice of
 * Node's shared 8 KiB buffer pool, which a long-lived event would otherwise pin.
 */
function ownBytes(data: Buffer): Buffer {
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) return data;
  const copy = Buffer.allocUnsafeSlow(data.length);
  data.copy(copy);
  return copy;
}

const BYTES = Symbol('bytes');

/** `raw`, decoded on each read from the bytes the event keeps. */
function rawText(this: { readonly [BYTES]: Buffer }): string {
  return this[BYTES].toString('utf8');
}

/**
 * Turns wire messages into {@link SipTraceEvent}s tagged with the trunk call and leg. Resolution
 * waits a microtask so that a request's handler (which binds its Call-ID) runs first.
 */
export class SipTracer {
  readonly #bindings = new Map<string, { call: string; leg: CallLeg }>();
  readonly #emit: (event: SipTraceEvent) => void;
  #pending: { message: BackendWireMessage; raw: string; callId: string }[] = [];

  constructor(emit: (event: SipTraceEvent) => void) {
    this.#emit = emit;
  }

  /** Associates a SIP Call-ID with a trunk call and leg. */
  bind(callId: string, call: string, leg: CallLeg): void {
    this.#bindings.set(callId, { call, leg });
    // Bounded: the oldest bindings go first (late retransmissions of long-gone calls lose their tag).
    if (this.#bindings.size > 50_000) {
      const oldest = this.#bindings.keys().next();
      if (oldest.done !== true) this.#bindings.delete(oldest.value);
    }
  }

  /** The trunk call and leg a SIP Call-ID belongs to, if bound. */
  lookup(callId: string): { readonly call: string; readonly leg: CallLeg } | undefined {
    return this.#bindings.get(callId);
  }

  /** Records one message. */
  push(message: BackendWireMessage): void {
    const raw = message.data.toString('utf8');
    const callId = header(raw, CALL_ID) ?? '';
    if (this.#pending.length === 0) queueMicrotask(() => this.#flush());
    this.#pending.push({ message, raw, callId });
  }

  #flush(): void {
    const batch = this.#pending;
    this.#pending = [];
    for (const { message, raw, callId } of batch) {
      const b = this.#bindings.get(callId);
      // The buffer keeps up to 20 000 events, most of them for seconds: each keeps its message as
      // bytes (off the JavaScript heap) and decodes `raw` when it is read, instead of holding a
      // kilobyte of text that every young-generation collection would copy.
      const event = {
        type: 'sip' as const,
        at: message.at,
        direction: message.direction,
        transport: message.transport,
        local: hostPort(message.local),
        remote: hostPort(message.remote),
        callId: own(callId),
        call: b?.call,
        leg: b?.leg,
        summary: own(summarize(raw)),
        [BYTES]: ownBytes(message.data),
      };
      // An own enumerable accessor: spread, JSON and structuredClone still see `raw`.
      const traced = Object.defineProperty(event, 'raw', { get: rawText, enumerable: true });
      this.#emit(traced as typeof event & { readonly raw: string });
    }
  }
}
