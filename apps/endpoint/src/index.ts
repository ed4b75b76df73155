// Public entry point: every export of this package is listed here.
export { EndpointError, audioSourceFor, startEndpoint } from './endpoint.js';
export type {
  EndpointCall,
  EndpointCallOptions,
  EndpointCallState,
  EndpointCallStatus,
  EndpointErrorCode,
  EndpointHandle,
  EndpointOptions,
  EndpointTransferOptions,
} from './endpoint.js';
export { EXIT, exitCodeForOutcome, progressText } from './events.js';
export type { EndpointEvent } from './events.js';
export { serveEndpointHttp } from './http.js';
export type { EndpointHttpOptions, EndpointHttpServer } from './http.js';
export { runCli } from './cli.js';
export type { CliIo } from './cli.js';
export { USAGE, parseAudioSpec, parseCommandLine, parseDuration, parseHostPort } from './options.js';
export type {
  AudioSpec,
  CallCommand,
  EndpointCommand,
  EndpointSettings,
  HelpCommand,
  HostPort,
  ParseResult,
  ServeCommand,
  TransferTrigger,
  UsageError,
} from './options.js';
