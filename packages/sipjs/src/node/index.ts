export { NodeTransport } from './transport.js';
export type {
  NodeHostPort,
  NodeTransportOptions,
  NodeTransportProtocol,
  NodeTransportStats,
  NodeTransportTlsOptions,
  NodeTransportTrace,
} from './transport.js';
export {
  NodeSessionDescriptionHandler,
  createNodeSessionDescriptionHandlerFactory,
} from './session-description-handler.js';
export type { NodeSdhCallOptions, NodeSdhEvents, NodeSdhOptions } from './session-description-handler.js';
export { createNodeUserAgent } from './user-agent.js';
export type { NodeUserAgent, NodeUserAgentOptions } from './user-agent.js';
