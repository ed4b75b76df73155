/** Receive statistics for one synchronisation source (RFC 3550 section 6.4.1, appendix A.3). */
export interface SourceStats {
  /** SSRC of the source. */
  readonly ssrc: number;
  /** Packets received (duplicates included, as RFC 3550 A.3 counts them). */
  readonly packets: number;
  /** Payload octets received. */
  readonly octets: number;
  /** Packets expected: extended highest sequence number - base + 1 (A.3). */
  readonly expected: number;
  /** Cumulative packets lost: expected - received (can be negative with duplicates, A.3). */
  readonly lost: number;
  /** Extended highest sequence number received (cycles << 16 | max_seq). */
  readonly extendedHighestSequence: number;
  /** Interarrival jitter in timestamp units (A.8). */
  readonly jitter: number;
}

const RTP_SEQ_MOD = 1 << 16;
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;

/**
 * Per-source sequence and jitter tracking, following RFC 3550 appendix A.1 (sequence validation
 * without the probation period: the first packet initialises the source) and A.8 (jitter).
 */
export class SourceTracker {
  /** SSRC tracked. */
  readonly ssrc: number;
  private baseSeq: number;
  private maxSeq: number;
  private cycles = 0;
  private badSeq = RTP_SEQ_MOD + 1;
  private received = 0;
  private octets = 0;
  private lastArrival: number | undefined;
  private lastTimestamp = 0;
  private jitter = 0;

  /** Starts tracking at the first packet's sequence number. */
  constructor(ssrc: number, firstSeq: number) {
    this.ssrc = ssrc;
    this.baseSeq = firstSeq;
    this.maxSeq = firstSeq;
  }

  /**
   * Records a packet. `arrival` is the arrival time in timestamp units; pass `undefined` to skip
   * the jitter update (e.g. telephone-event packets that repeat one timestamp).
   *
   * @returns `false` when the packet is rejected as a sequence jump (A.1 `update_seq`).
   */
  update(seq: number, payloadOctets: number, timestamp: number, arrival: number | undefined): boolean {
    const udelta = (seq - this.maxSeq + RTP_SEQ_MOD) % RTP_SEQ_MOD;
    if (udelta < MAX_DROPOUT) {
      // A.1: in order, with permissible gap.
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD;
      this.maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // A.1: the sequence number made a very large jump.
      if (seq === this.badSeq) {
        // Two sequential packets: assume the other side restarted without telling us.
        this.baseSeq = seq;
        this.maxSeq = seq;
        this.cycles = 0;
        this.received = 0;
        this.octets = 0;
        this.lastArrival = undefined;
        this.jitter = 0;
        this.badSeq = RTP_SEQ_MOD + 1;
      } else {
        this.badSeq = (seq + 1) & (RTP_SEQ_MOD - 1);
        return false;
      }
    }
    // else: duplicate or reordered packet (A.1).
    this.received++;
    this.octets += payloadOctets;
    if (arrival !== undefined) {
      // A.8: D(i-1,i) = (Rj - Ri) - (Sj - Si); J += (|D| - J) / 16.
      // The timestamp difference is taken modulo 2^32 so a wrapping timestamp is no jump.
      if (this.lastArrival !== undefined) {
        const d = Math.abs(arrival - this.lastArrival - ((timestamp - this.lastTimestamp) | 0));
        this.jitter += (d - this.jitter) / 16;
      }
      this.lastArrival = arrival;
      this.lastTimestamp = timestamp;
    }
    return true;
  }

  /** A snapshot of the statistics. */
  snapshot(): SourceStats {
    const extended = this.cycles + this.maxSeq;
    const expected = extended - this.baseSeq + 1;
    return {
      ssrc: this.ssrc,
      packets: this.received,
      octets: this.octets,
      expected,
      lost: expected - this.received,
      extendedHighestSequence: extended,
      jitter: this.jitter,
    };
  }
}
