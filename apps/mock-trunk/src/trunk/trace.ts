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
      this.#emit({
        type: 'sip',
        at: message.at,
        direction: message.direction,
        transport: message.transport,
        local: hostPort(message.local),
        remote: hostPort(message.remote),
        callId,
        call: b?.call,
        leg: b?.leg,
        raw,
        summary: summarize(raw),
      });
    }
  }
}
