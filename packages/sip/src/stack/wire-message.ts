import { Headers, parseMessage, serializeMessage, splitHeaderList } from '../message/index.js';
import type { HeaderTuple, ParseResult, SipMessage, SipRequest, SipResponse } from '../message/index.js';

/** A request as the stack hands it out: the message model's {@link SipRequest}. */
export type StackRequest = SipRequest;
/** A response as the stack hands it out: the message model's {@link SipResponse}. */
export type StackResponse = SipResponse;
/** Either kind. */
export type StackMessage = SipMessage;

/** First value of a header (case-insensitive, compact forms understood), or `undefined`. */
export function getHeader(msg: SipMessage, name: string): string | undefined {
  return msg.headers.get(name);
}

/** Every element of a header, comma-separated lists split (RFC 3261 7.3.1). */
export function getHeaderValues(msg: SipMessage, name: string): string[] {
  return msg.headers.getList(name);
}

/** Splits a header value on commas outside quotes and `<...>`. */
export function splitCommas(value: string): string[] {
  return splitHeaderList(value, []);
}

/** Builds a request from ordered header pairs. */
export function makeRequest(
  method: string,
  uri: string,
  headers: readonly HeaderTuple[],
  body: Buffer,
): SipRequest {
  return { kind: 'request', method, uri, headers: new Headers(headers), body };
}

/** Builds a response from ordered header pairs. */
export function makeResponse(
  status: number,
  reason: string,
  headers: readonly HeaderTuple[],
  body: Buffer,
): SipResponse {
  return { kind: 'response', status, reason, headers: new Headers(headers), body };
}

/**
 * Parses one complete message (a datagram, or a message framed from a TCP stream). The size
 * limit is enforced by the transports before this runs.
 */
export function parseWire(data: Buffer, stream: boolean): ParseResult<SipMessage> {
  return parseMessage(data, { maxSize: Number.MAX_SAFE_INTEGER, stream });
}

/** Serializes a message (Content-Length written from the body). */
export function serializeWire(msg: SipMessage): Buffer {
  return serializeMessage(msg);
}
