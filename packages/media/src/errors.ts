/**
 * Error codes raised by `@referkit/media`. Callers branch on {@link MediaError.code}, never on the
 * message text.
 */
export const MediaErrorCode = {
  /** The SDP text could not be parsed or lacks a required line. */
  SDP_INVALID: 'SDP_INVALID',
  /** The SDP has no audio stream (or the audio stream was rejected with port 0). */
  SDP_NO_AUDIO: 'SDP_NO_AUDIO',
  /** Offer and answer share no audio codec (RFC 3264 section 6: the stream is rejected). */
  NO_COMMON_CODEC: 'NO_COMMON_CODEC',
  /** A WAV file is not RIFF/WAVE PCM16 (or is truncated). */
  WAV_INVALID: 'WAV_INVALID',
  /** A WAV file is valid but uses a format this package does not play (e.g. more than one channel). */
  WAV_UNSUPPORTED: 'WAV_UNSUPPORTED',
  /** An argument is out of range (frequency, level, port, digit...). */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** The RTP session is closed. */
  SESSION_CLOSED: 'SESSION_CLOSED',
  /** The session cannot send now (no remote endpoint, or the direction forbids sending). */
  SEND_DISABLED: 'SEND_DISABLED',
  /** A UDP socket operation failed (bind, send). */
  SOCKET_ERROR: 'SOCKET_ERROR',
  /** rtpengine did not answer a ng command in time. */
  RTPENGINE_TIMEOUT: 'RTPENGINE_TIMEOUT',
  /** rtpengine answered a ng command with `result: error`. */
  RTPENGINE_ERROR: 'RTPENGINE_ERROR',
  /** The ng command is not supported by this rtpengine build. */
  RTPENGINE_UNSUPPORTED: 'RTPENGINE_UNSUPPORTED',
  /** The controller was closed. */
  RTPENGINE_CLOSED: 'RTPENGINE_CLOSED',
  /** The rtpengine binary is not installed. */
  RTPENGINE_MISSING: 'RTPENGINE_MISSING',
  /** The rtpengine process did not become ready (ng ping unanswered) in time. */
  RTPENGINE_START_FAILED: 'RTPENGINE_START_FAILED',
  /** The supervised rtpengine process exited without being asked to. */
  RTPENGINE_CRASHED: 'RTPENGINE_CRASHED',
} as const;

/** One of the {@link MediaErrorCode} values. */
export type MediaErrorCode = (typeof MediaErrorCode)[keyof typeof MediaErrorCode];

/** Options for {@link MediaError}. */
export interface MediaErrorOptions {
  /** The underlying error, kept for diagnostics. */
  readonly cause?: unknown;
  /** Extra structured detail (command name, file, port...). */
  readonly detail?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * The one error type thrown or returned by this package. `code` comes from {@link MediaErrorCode}.
 */
export class MediaError extends Error {
  /** Machine-readable error code. */
  readonly code: MediaErrorCode;
  /** Extra structured detail, if any. */
  readonly detail: Readonly<Record<string, unknown>>;

  /**
   * @param code - one of {@link MediaErrorCode}
   * @param message - human-readable explanation
   * @param options - cause and detail
   */
  constructor(code: MediaErrorCode, message: string, options: MediaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MediaError';
    this.code = code;
    this.detail = options.detail ?? {};
  }
}

/** Result of a validating function: a value, or a {@link MediaError} instead of a throw. */
export type MediaResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: MediaError };

/** Type guard: `true` when `err` is a {@link MediaError} (optionally with the given code). */
export function isMediaError(err: unknown, code?: MediaErrorCode): err is MediaError {
  return err instanceof MediaError && (code === undefined || err.code === code);
}
