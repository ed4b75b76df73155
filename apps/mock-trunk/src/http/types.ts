import type { Logger } from '@referkit/media';
import type { TrunkEvent } from '../observe/types.js';

/** One row of `GET /calls`: the call id plus whatever the trunk reports (JSON-serialisable); the trunk's `CallSummary` is one. */
export interface HttpCallSummary {
  /** Trunk call id (used in `/calls/:id`). */
  readonly id: string;
  /** Further fields (state, numbers, times...). */
  readonly [key: string]: unknown;
}

/** `GET /calls/:id`: the call's record and its ladder. */
export interface CallDetail {
  /** Trunk call id. */
  readonly id: string;
  /** The call record(s) (JSON-serialisable). */
  readonly record: unknown;
  /** Mermaid sequence-diagram text (also served alone by `GET /calls/:id/ladder`). */
  readonly ladder: string;
  /** Further fields. */
  readonly [key: string]: unknown;
}

/** Options of {@link HttpSource.pcap}. */
export interface PcapRequestOptions {
  /** Include the call's RTP packets when the source has them (`?rtp=1`). */
  readonly rtp: boolean;
}

/** What the HTTP API serves; the trunk implements it over its call table. */
export interface HttpSource {
  /** All calls, for `GET /calls`. */
  listCalls(): readonly HttpCallSummary[];
  /** One call, or `undefined` (404). */
  getCall(id: string): CallDetail | undefined;
  /** Subscribes to the event stream (for `GET /events`); returns the unsubscribe function. */
  subscribe(listener: (event: TrunkEvent) => void): () => void;
  /** The call's pcapng capture, or `undefined` (404). */
  pcap(id: string, options: PcapRequestOptions): Buffer | undefined;
}

/** HTTP Basic credentials. */
export interface HttpCredentials {
  /** User name. */
  readonly user: string;
  /** Password. */
  readonly password: string;
}

/** Options of {@link startHttpApi}. */
export interface HttpApiOptions {
  /** Address to bind (e.g. `127.0.0.1`, `::1`); non-loopback requires `credentials`. */
  readonly host: string;
  /** Port (0 = ephemeral). */
  readonly port: number;
  /** When set, every request needs HTTP Basic with these credentials. */
  readonly credentials?: HttpCredentials | undefined;
  /** The data served. */
  readonly source: HttpSource;
  /** Interval of SSE heartbeat comments in ms (default 15 000). */
  readonly heartbeatMs?: number | undefined;
  /** pino-compatible logger (default: silent). */
  readonly logger?: Logger | undefined;
}

/** A running HTTP API. */
export interface HttpApi {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Bound address. */
  readonly address: { readonly host: string; readonly port: number };
  /** Ends SSE streams, closes every socket and the server. */
  close(): Promise<void>;
}
