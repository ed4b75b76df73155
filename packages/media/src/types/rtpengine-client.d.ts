// Type declaration for the parts of rtpengine-client 0.4.12 this package uses (it ships none).
declare module 'rtpengine-client' {
  import type { EventEmitter } from 'node:events';

  /** Constructor options (the package README documents positional arguments; this form is what the code reads). */
  export interface ClientOptions {
    localAddress?: string;
    localPort?: number;
    /** Per-command timeout in ms; 0 or absent: wait forever. */
    timeout?: number;
    /** Reject with `error-reason` when the reply has `result: error`. */
    rejectOnError?: boolean;
  }

  /** Where a command goes. */
  export interface Destination {
    port: number;
    host: string;
  }

  /** A bencoded ng dictionary. */
  export type NgMessage = Record<string, unknown>;

  /** UDP ng-protocol client. Emits 'listening', and 'error' for late replies and socket errors. */
  export class Client extends EventEmitter {
    constructor(options: ClientOptions);
    offer(dest: Destination, message: NgMessage): Promise<NgMessage>;
    answer(dest: Destination, message: NgMessage): Promise<NgMessage>;
    delete(dest: Destination, message: NgMessage): Promise<NgMessage>;
    query(dest: Destination, message: NgMessage): Promise<NgMessage>;
    list(dest: Destination, message: NgMessage): Promise<NgMessage>;
    ping(dest: Destination, message?: NgMessage): Promise<NgMessage>;
    playMedia(dest: Destination, message: NgMessage): Promise<NgMessage>;
    stopMedia(dest: Destination, message: NgMessage): Promise<NgMessage>;
    blockMedia(dest: Destination, message: NgMessage): Promise<NgMessage>;
    unblockMedia(dest: Destination, message: NgMessage): Promise<NgMessage>;
    statistics(dest: Destination, message?: NgMessage): Promise<NgMessage>;
    close(): void;
  }

  /** Errors the client creates (timeouts, uncorrelated replies). */
  export class RtpEngineError extends Error {}

  /** `module.exports` of the CommonJS package. */
  const rtpengineClient: { Client: typeof Client; RtpEngineError: typeof RtpEngineError };
  export default rtpengineClient;
}
