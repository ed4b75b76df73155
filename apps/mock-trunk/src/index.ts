// Public entry point: every export of this package is listed here.
export {
  DEFAULT_DOMAIN,
  DEFAULT_RING_TIMEOUT_MS,
  DEFAULT_TRUNK_NUMBER,
  TrunkConfigError,
  parseRouteTarget,
  startMockTrunk,
} from './trunk/trunk.js';
export type {
  CallRecord,
  CallSummary,
  MockTrunk,
  MockTrunkOptions,
  TrunkCredentials,
  TrunkListen,
} from './trunk/types.js';
export { DEFAULT_ACL, createAcl, parseCidr, AclError } from './trunk/admission.js';
export type { Acl } from './trunk/admission.js';
export { createSipBackend } from './backend/sip-backend.js';
export type { SipBackendOptions } from './backend/sip-backend.js';
export { createDrachtioBackend } from './backend/drachtio-backend.js';
export type { DrachtioBackendLogger, DrachtioBackendOptions } from './backend/drachtio-backend.js';
export type {
  BackendAddress,
  BackendDestination,
  BackendDialog,
  BackendExtras,
  BackendHeaders,
  BackendInvite,
  BackendInviteParams,
  BackendMessage,
  BackendRequest,
  BackendResponse,
  BackendWireMessage,
  SignallingBackend,
} from './backend/types.js';
export type { MediaAnchor, MediaTags } from './trunk/media.js';
export type { RouteResult } from './trunk/call.js';
export type { HeardSegment, PhoneBank, PhoneCall, PhoneCallState, PhoneProfile } from './phones/types.js';
export type {
  CallLeg,
  SipTraceEvent,
  StateEvent,
  MediaEvent,
  RecordEvent,
  TrunkEvent,
} from './observe/types.js';
