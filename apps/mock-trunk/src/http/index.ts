/**
 * The mock trunk's HTTP API: calls, records, ladders, pcapng downloads and server-sent events.
 *
 * @packageDocumentation
 */
export type {
  HttpCallSummary,
  CallDetail,
  PcapRequestOptions,
  HttpSource,
  HttpCredentials,
  HttpApiOptions,
  HttpApi,
} from './types.js';
export { startHttpApi, HttpApiError, isLoopbackHost } from './server.js';
export type { HttpApiErrorCode } from './server.js';
