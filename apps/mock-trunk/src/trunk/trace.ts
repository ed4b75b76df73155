import type { BackendWireMessage } from '../backend/types.js';
import type { CallLeg, SipTraceEvent } from '../observe/types.js';

const LF = 0x0a;
const COLON = 0x3a;

/** Whether bytes `[start, end)` of `data`, less trailing blanks, spell `lower` in any case (ASCII). */
function nameIs(data: Buffer, start: number, end: number, lower: string): boolean {
  let e = end;
  while (e > start && (data[e - 1] === 0x20 || data[e - 1] === 0x09)) e--;
  if (e - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    const b = data[start + i] ?? 0;
    if ((b >= 0x41 && b <= 0x5a ? b | 0x20 : b) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * The value of the first header named `name` (or `compact`) in the message head. The tracer
 * looks at two headers of every message in and out, so it reads the bytes in place and decodes
 * only the value it wants, never the whole message.
 */
function headerOf(data: Buffer, name: string, compact?: string): string | undefined {
  let pos = data.indexOf(LF) + 1;
  while (pos > 0 && pos < data.length) {
    const lf = data.indexOf(LF, pos);
    const end = lf < 0 ? data.length : lf;
    if (end - pos <= 1) return undefined; // the blank line ending the head
    let colon = pos;
    while (colon < end && data[colon] !== COLON) colon++;
    if (
      colon < end &&
      (nameIs(data, pos, colon, name) || (compact !== undefined && nameIs(data, pos, colon, compact)))
    ) {
      return data.toString('utf8', colon + 1, end).trim();
    }
    pos = end + 1;
  }
  return undefined;
}

function hostPort(a: { readonly host: string; readonly port: number }): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** `"REFER"` for a request, `"202 Accepted (REFER)"` for a response. */
export function summarize(data: Buffer): string {
  const cr = data.indexOf('\r\n');
  const first = data.toString('utf8', 0, cr < 0 ? data.length : cr);
  if (first.startsWith('SIP/2.0 ')) {
    const method = headerOf(data, 'cseq')?.split(/\s+/)[1] ?? '?';
    return `${first.slice(8)} (${method})`;
  }
  const space = first.indexOf(' ');
  return space < 0 ? first : first.slice(0, space);
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
const SUMMARY = Symbol('summary');

/** `raw`, decoded on each read from the bytes the event keeps. */
function rawText(this: { readonly [BYTES]: Buffer }): string {
  return this[BYTES].toString('utf8');
}

/** `summary`, worked out from the bytes on first read: most events are never read at all. */
function summaryText(this: { readonly [BYTES]: Buffer; [SUMMARY]: string | undefined }): string {
  return (this[SUMMARY] ??= summarize(this[BYTES]));
}

const SUMMARY_PROPERTY: PropertyDescriptor = { get: summaryText, enumerable: true };
const RAW_PROPERTY: PropertyDescriptor = { get: rawText, enumerable: true };

/**
 * Turns wire messages into {@link SipTraceEvent}s tagged with the trunk call and leg. Resolution
 * waits a microtask so that a request's handler (which binds its Call-ID) runs first.
 */
export class SipTracer {
  readonly #bindings = new Map<string, { call: string; leg: CallLeg }>();
  readonly #emit: (event: SipTraceEvent) => void;
  #pending: { message: BackendWireMessage; callId: string }[] = [];

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
    const callId = headerOf(message.data, 'call-id', 'i') ?? '';
    if (this.#pending.length === 0) queueMicrotask(() => this.#flush());
    this.#pending.push({ message, callId });
  }

  #flush(): void {
    const batch = this.#pending;
    this.#pending = [];
    for (const { message, callId } of batch) {
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
        callId,
        call: b?.call,
        leg: b?.leg,
        [BYTES]: ownBytes(message.data),
        [SUMMARY]: undefined as string | undefined,
      };
      // Own enumerable accessors: spread, JSON and structuredClone still see `summary` and `raw`.
      // One defineProperty per property with shared descriptors: a defineProperties map costs more.
      Object.defineProperty(event, 'summary', SUMMARY_PROPERTY);
      const traced = Object.defineProperty(event, 'raw', RAW_PROPERTY);
      this.#emit(traced as typeof event & { readonly summary: string; readonly raw: string });
    }
  }
}
