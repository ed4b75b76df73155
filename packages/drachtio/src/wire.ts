import type { SipfragStatus, SubscriptionStateValue } from '@referkit/core';
import { parseEvent, parseReferSub, parseSipfrag, parseSubscriptionState } from '@referkit/validators';
import type { DrachtioMessageLike, DrachtioResponseLike } from './dialog-types.js';

/** A NOTIFY as the transferor machine wants it, or why it is not one for a REFER subscription. */
export type ReadNotify =
  | {
      readonly kind: 'refer';
      readonly eventId: number | undefined;
      readonly subscriptionState: SubscriptionStateValue;
      readonly sipfrag: SipfragStatus | undefined;
    }
  /** No `Event` header, or an event package other than `refer`: not the adapter's business. */
  | { readonly kind: 'other' }
  /** `Event: refer` with an `id` that is not a CSeq number: answered 400. */
  | { readonly kind: 'malformed'; readonly reason: string };

/**
 * drachtio-srf looks headers up case-insensitively but does not expand every compact form
 * (`o` for `Event`, `r` for `Refer-To` are missing from its table), so both names are tried.
 */
function header(msg: DrachtioMessageLike, name: string, compact: string): string | undefined {
  return msg.get(name) ?? msg.get(compact);
}

/**
 * Reads a NOTIFY for the transferor machine: `Event: refer;id=N` (RFC 3515 section 2.4.6),
 * `Subscription-State` (RFC 6665 section 8.2.3; an unknown or missing value counts as `active`,
 * which keeps waiting for a final status) and the `message/sipfrag` body (RFC 3420; unreadable
 * counts as no status).
 */
export function readNotify(req: DrachtioMessageLike): ReadNotify {
  const eventHeader = header(req, 'Event', 'o');
  if (eventHeader === undefined) return { kind: 'other' };
  const event = parseEvent(eventHeader);
  if (!event.ok || event.value.package.toLowerCase() !== 'refer') return { kind: 'other' };
  let eventId: number | undefined;
  if (event.value.id !== undefined) {
    if (!/^\d{1,10}$/.test(event.value.id)) {
      return { kind: 'malformed', reason: `Event id "${event.value.id}" is not a CSeq number` };
    }
    eventId = Number(event.value.id);
  }
  const stateHeader = req.get('Subscription-State');
  const state = stateHeader === undefined ? undefined : parseSubscriptionState(stateHeader);
  const value = state?.ok === true ? state.value.state.toLowerCase() : 'active';
  const subscriptionState: SubscriptionStateValue =
    value === 'terminated' || value === 'pending' ? value : 'active';
  const body = req.body ?? '';
  const frag = body.length === 0 ? undefined : parseSipfrag(body);
  const sipfrag = frag?.ok === true ? { code: frag.value.code, reason: frag.value.reason } : undefined;
  return { kind: 'refer', eventId, subscriptionState, sipfrag };
}

/** The CSeq number of a response (`CSeq: 2 REFER` -> 2), or `undefined` when unreadable. */
export function readCSeq(res: DrachtioMessageLike): number | undefined {
  const match = /^\s*(\d{1,10})\s+[A-Za-z]+\s*$/.exec(res.get('CSeq') ?? '');
  return match === null ? undefined : Number(match[1]);
}

/** The `Refer-Sub` header of a REFER response (RFC 4488): `false` only when it says so. */
export function readReferSub(res: DrachtioResponseLike): boolean | undefined {
  const value = res.get('Refer-Sub');
  if (value === undefined) return undefined;
  const parsed = parseReferSub(value);
  return parsed.ok ? parsed.value.value : undefined;
}
