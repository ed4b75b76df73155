import type { SipfragStatus, SubscriptionStateValue, TransferorEvent } from '@referkit/core';
import { parseEvent, parseReferSub, parseSipfrag, parseSubscriptionState } from '@referkit/validators';

/** The headers and body of an in-dialog NOTIFY, as read from SIP.js. */
export interface NotifyParts {
  /** `Event` header value, if any. */
  readonly event: string | undefined;
  /** `Subscription-State` header value, if any. */
  readonly subscriptionState: string | undefined;
  /** `Content-Type` header value, if any. */
  readonly contentType: string | undefined;
  /** Body text. */
  readonly body: string;
}

/** What to do with one NOTIFY. */
export type NotifyVerdict =
  /** A NOTIFY of the `refer` event package: feed it to the transferor machine. */
  | { readonly kind: 'refer'; readonly event: Extract<TransferorEvent, { type: 'notify' }> }
  /** Another event package (presence, dialog...): not ours. */
  | { readonly kind: 'other' }
  /** Malformed (no Event, no Subscription-State): answer 400 with this reason. */
  | { readonly kind: 'bad'; readonly reason: string };

/**
 * Reads a NOTIFY: `Event: refer;id=N` (RFC 3515 section 2.4.6), `Subscription-State`
 * (RFC 6665 section 8.2.3) and a `message/sipfrag` body (RFC 3420).
 */
export function readNotify(parts: NotifyParts): NotifyVerdict {
  if (parts.event === undefined) return { kind: 'bad', reason: 'Bad Event' };
  const event = parseEvent(parts.event);
  if (!event.ok) return { kind: 'bad', reason: 'Bad Event' };
  if (event.value.package.toLowerCase() !== 'refer') return { kind: 'other' };
  if (parts.subscriptionState === undefined) return { kind: 'bad', reason: 'Missing Subscription-State' };
  const state = parseSubscriptionState(parts.subscriptionState);
  if (!state.ok) return { kind: 'bad', reason: 'Bad Subscription-State' };
  return {
    kind: 'refer',
    event: {
      type: 'notify',
      eventId: eventIdOf(event.value.id),
      subscriptionState: stateOf(state.value.state),
      sipfrag: sipfragOf(parts.contentType, parts.body),
    },
  };
}

/** `id` is the REFER's CSeq number; a non-numeric id matches no subscription (-1). */
function eventIdOf(id: string | undefined): number | undefined {
  if (id === undefined) return undefined;
  return /^[0-9]{1,10}$/.test(id) ? Number(id) : -1;
}

/** RFC 6665 section 4.1.3: unknown extension states are handled like `active`. */
function stateOf(state: string): SubscriptionStateValue {
  const lower = state.toLowerCase();
  return lower === 'terminated' || lower === 'pending' ? lower : 'active';
}

function sipfragOf(contentType: string | undefined, body: string): SipfragStatus | undefined {
  if (body.trim() === '') return undefined;
  // RFC 3515 section 2.4.5: the body is message/sipfrag; anything else carries no status.
  if (contentType !== undefined && !/^\s*message\/sipfrag\b/i.test(contentType)) return undefined;
  const frag = parseSipfrag(body);
  return frag.ok ? { code: frag.value.code, reason: frag.value.reason } : undefined;
}

/** `Refer-Sub` of a 2xx to REFER (RFC 4488): true, false, or undefined when absent or unreadable. */
export function readReferSub(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const result = parseReferSub(value);
  return result.ok ? result.value.value : undefined;
}
