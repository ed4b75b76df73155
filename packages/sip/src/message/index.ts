// Public exports of this layer; re-exported by ../index.ts.
export type { SipMessage, SipMessageBase, SipRequest, SipResponse } from './sip-message.js';
export { HeaderField, Headers, splitHeaderList } from './headers.js';
export type { HeaderTuple } from './headers.js';
export { COMPACT_HEADER_FORMS, headerKey, isToken } from './header-names.js';
export { SIP_PARSE_ERROR_STATUS, SipParseErrorCode, sipParseError } from './parse-error.js';
export type { ParseResult, SipParseError } from './parse-error.js';
export { parseMessage } from './parse-message.js';
export type { ParseOptions } from './parse-message.js';
export { serializeMessage } from './serialize-message.js';
export { validateMessage, checkMandatoryHeaders } from './validate-message.js';
export type { MandatoryHeaderError } from './validate-message.js';
export { MessageFramer } from './message-framer.js';
export type { FramedItem, MessageFramerOptions } from './message-framer.js';
export { formatParams, getParam, parseParams } from './header-params.js';
export type { SipParams } from './header-params.js';
export { formatVia, parseVia } from './via.js';
export type { Via, ViaInput } from './via.js';
export { addTag, formatNameAddr, getTag, parseNameAddr } from './name-addr.js';
export type { NameAddr, NameAddrInput } from './name-addr.js';
export {
  formatCSeq,
  parseContentLength,
  parseCSeq,
  parseMaxForwards,
  parseUnsigned,
} from './scalar-headers.js';
export type { CSeq } from './scalar-headers.js';
export { createRequest, createResponse } from './create-message.js';
export type { CreateRequestInput, CreateResponseOptions } from './create-message.js';
export { BRANCH_MAGIC_COOKIE, generateBranch, generateCallId, generateTag } from './ids.js';
export { defaultReasonPhrase, REASON_PHRASES } from './reason-phrases.js';
