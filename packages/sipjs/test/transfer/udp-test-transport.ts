// A minimal SIP.js transport over UDP for these tests only (SIP.js ships only WebSocket). It binds
// 127.0.0.1 on an ephemeral port and sends every message to one peer; no retransmission (loopback).
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { EmitterImpl, TransportState } from 'sip.js';
import type { Transport } from 'sip.js';

/** `transportOptions` of the SIP.js UserAgent. */
export interface UdpTestTransportOptions {
  /** Where every message goes (the far end). */
  readonly peer: { readonly host: string; readonly port: number };
  /** Receives the bound port once connected. */
  readonly onBound?: (port: number) => void;
}

export class UdpTestTransport implements Transport {
  readonly protocol = 'UDP';
  readonly stateChange = new EmitterImpl<TransportState>();
  onConnect: (() => void) | undefined;
  onDisconnect: ((error?: Error) => void) | undefined;
  onMessage: ((message: string) => void) | undefined;
  #state = TransportState.Disconnected;
  #socket: Socket | undefined;
  readonly #options: UdpTestTransportOptions;

  constructor(_logger: unknown, options: UdpTestTransportOptions) {
    this.#options = options;
  }

  get state(): TransportState {
    return this.#state;
  }

  async connect(): Promise<void> {
    if (this.#socket !== undefined) return;
    this.#setState(TransportState.Connecting);
    const socket = createSocket('udp4');
    this.#socket = socket;
    socket.on('message', (data) => this.onMessage?.(data.toString('utf8')));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve();
      });
    });
    this.#options.onBound?.(socket.address().port);
    this.#setState(TransportState.Connected);
    this.onConnect?.();
  }

  async disconnect(): Promise<void> {
    const socket = this.#socket;
    if (socket === undefined) return;
    this.#socket = undefined;
    this.#setState(TransportState.Disconnecting);
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    this.#setState(TransportState.Disconnected);
    this.onDisconnect?.();
  }

  async dispose(): Promise<void> {
    await this.disconnect();
  }

  isConnected(): boolean {
    return this.#state === TransportState.Connected;
  }

  send(message: string): Promise<void> {
    const socket = this.#socket;
    if (socket === undefined) return Promise.reject(new Error('transport not connected'));
    const { host, port } = this.#options.peer;
    return new Promise((resolve, reject) => {
      socket.send(message, port, host, (error) => (error ? reject(error) : resolve()));
    });
  }

  #setState(state: TransportState): void {
    this.#state = state;
    this.stateChange.emit(state);
  }
}
