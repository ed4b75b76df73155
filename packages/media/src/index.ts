// Public entry point: every export of this package is listed here.
export { MediaError, MediaErrorCode, isMediaError } from './errors.js';
export type { MediaErrorOptions, MediaResult } from './errors.js';
export { silentLogger } from './logger.js';
export type { Logger } from './logger.js';
export { G711, encodeG711, decodeG711, g711ForPayloadType } from './g711.js';
export type { G711Codec } from './g711.js';
export {
  DEFAULT_TELEPHONE_EVENT_PT,
  buildOffer,
  answerOffer,
  answerDirection,
  reverseDirection,
  parseRemoteMedia,
  withG711Codecs,
} from './sdp.js';
export type { MediaDirection, OfferOptions, AnswerOptions, Answer, RemoteMedia } from './sdp.js';
export { SAMPLE_RATE, FRAME_SAMPLES, createToneSource, createSilenceSource } from './audio-source.js';
export type { AudioSource, ToneSourceOptions } from './audio-source.js';
export { decodeWav, encodeWav, resampleLinear, createWavSource } from './wav.js';
export type { WavAudio } from './wav.js';
export { ToneDetector, goertzelPower } from './tone-detector.js';
export type {
  ToneDetectorOptions,
  ToneDetectorEvents,
  ToneFrame,
  ToneSegment,
  ToneQuery,
} from './tone-detector.js';
export { systemClock } from './clock.js';
export type { MediaClock } from './clock.js';
export { RTP_HEADER_LENGTH, parseRtp, serializeRtp } from './rtp-packet.js';
export type { RtpPacket, RtpPacketInit } from './rtp-packet.js';
export { SourceTracker } from './rtp-stats.js';
export type { SourceStats } from './rtp-stats.js';
export {
  DTMF_EVENTS,
  dtmfEventCode,
  parseTelephoneEvent,
  serializeTelephoneEvent,
} from './telephone-event.js';
export type { DtmfDigit, DtmfEvent, TelephoneEvent } from './telephone-event.js';
export { RtpSession, createRtpSession } from './rtp-session.js';
export type { RtpEndpoint, RtpSessionOptions, RtpSessionStats, RtpSessionEvents } from './rtp-session.js';
export { RtpEngineController, createRtpEngineController, parseQueryReply } from './rtpengine-controller.js';
export type {
  NgCommand,
  RtpEngineControllerOptions,
  OfferAnswerParams,
  SdpResult,
  DeleteParams,
  QueryResult,
  QueryTag,
  QueryStream,
  PlayMediaParams,
  PlayMediaResult,
  RebridgeParams,
  RebridgeResult,
} from './rtpengine-controller.js';
export {
  RTPENGINE_SETUP_COMMAND,
  DEFAULT_RTPENGINE_BINARY,
  RtpEngineSupervisor,
  startRtpEngine,
  findFreeUdpPort,
  isRtpEngineInstalled,
} from './rtpengine-supervisor.js';
export type {
  RtpEngineSupervisorOptions,
  RtpEngineState,
  RtpEngineSupervisorEvents,
} from './rtpengine-supervisor.js';
