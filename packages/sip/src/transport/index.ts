// Public exports of this layer; re-exported by ../index.ts.
export type { SipLogger } from './logger.js';
export { silentLogger } from './logger.js';
export type {
  HostPort,
  InboundMessage,
  Transport,
  TransportAddress,
  TransportDropReason,
  TransportHandlers,
  TransportProtocol,
} from './transport-types.js';
export type { FrameResult } from './stream-framer.js';
export { StreamFramer } from './stream-framer.js';
export type { UdpTransportOptions } from './udp-transport.js';
export { createUdpTransport } from './udp-transport.js';
export type { TcpTransportOptions } from './tcp-transport.js';
export { createTcpTransport } from './tcp-transport.js';
