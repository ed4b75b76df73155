/**
 * Observability: event types, Mermaid ladders and pcapng export.
 *
 * @packageDocumentation
 */
export type { CallLeg, SipTraceEvent, StateEvent, MediaEvent, RecordEvent, TrunkEvent } from './types.js';
export { mermaidLadder, escapeMermaidText } from './mermaid.js';
export type { MermaidLadderOptions } from './mermaid.js';
export { writePcapng, internetChecksum, splitHostPort, PCAPNG } from './pcapng.js';
export type { PcapngOptions, PcapRtpPacket } from './pcapng.js';
