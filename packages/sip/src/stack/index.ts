// Public exports of this layer; re-exported by ../index.ts.
export { createSipStack, KNOWN_METHODS, reasonPhrase } from './sip-stack.js';
export type {
  ClientTransaction,
  ClientTransactionEvents,
  ClientTransactionFailure,
  Destination,
  HeaderInput,
  IncomingRequest,
  IncomingRequestEvents,
  ListenOption,
  MessageDirection,
  MessageExtras,
  OutgoingRequest,
  SendRequestOptions,
  SipStack,
  SipStackEvents,
  SipStackOptions,
  SipStackStats,
  WireMessageEvent,
} from './stack-types.js';
export { StackError, StackErrorCode } from './stack-error.js';
export type { StackMessage, StackRequest, StackResponse } from './wire-message.js';
export { getHeader, getHeaderValues } from './wire-message.js';
