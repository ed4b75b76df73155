import type { HttpApi, HttpApiOptions } from './types.js';

/** Codes of {@link HttpApiError}. */
export type HttpApiErrorCode = 'NON_LOOPBACK_WITHOUT_CREDENTIALS' | 'INVALID_OPTIONS' | 'LISTEN_FAILED';

/** Error thrown (as a rejected promise) by {@link startHttpApi}. */
export class HttpApiError extends Error {
  /** Machine-readable reason. */
  readonly code: HttpApiErrorCode;
  /**
   * @param code - reason
   * @param message - text naming the fix
   * @param options - standard error options (`cause`)
   */
  constructor(code: HttpApiErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HttpApiError';
    this.code = code;
  }
}

/** `true` for `localhost`, 127.0.0.0/8, `::1` and IPv4-mapped loopback. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/**
 * Starts the HTTP API. Rejects with {@link HttpApiError} `NON_LOOPBACK_WITHOUT_CREDENTIALS` when
 * `host` is not loopback and no credentials are configured.
 */
export function startHttpApi(options: HttpApiOptions): Promise<HttpApi> {
  return Promise.reject(
    new HttpApiError('LISTEN_FAILED', `startHttpApi: not implemented yet (${options.host})`),
  );
}
