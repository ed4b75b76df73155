import { it } from 'vitest';
import {
  ToneDetector,
  answerOffer,
  buildOffer,
  createRtpSession,
  isRtpEngineInstalled,
  parseRemoteMedia,
  RTPENGINE_SETUP_COMMAND,
  type Logger,
  type MediaDirection,
  type RtpEngineController,
  type RtpSession,
} from '../../src/index.js';

/** Whether rtpengine can run here. In CI (CI=true) a missing binary is a failure, not a skip. */
export const rtpengineInstalled = await isRtpEngineInstalled();

/** Registers a failing test in CI when rtpengine is missing (call at the top of each e2e file). */
export function requireRtpEngineInCi(): void {
  if (!rtpengineInstalled && process.env.CI) {
    it('rtpengine is installed (CI)', () => {
      throw new Error(`rtpengine is missing: run \`${RTPENGINE_SETUP_COMMAND}\``);
    });
  }
}

/** Reason printed by skipped suites. */
export const SKIP_REASON = `rtpengine not installed (run \`${RTPENGINE_SETUP_COMMAND}\`)`;

/** A logger that keeps rtpengine's errors for diagnostics and stays quiet otherwise. */
export function quietLogger(lines: string[] = []): Logger {
  const keep = (obj: unknown, msg?: string): void => {
    lines.push(`${msg ?? ''} ${JSON.stringify(obj)}`);
  };
  return { debug: () => undefined, info: () => undefined, warn: keep, error: keep };
}

/** A loopback RTP party with a tone detector on what it receives. */
export interface Party {
  readonly tag: string;
  readonly session: RtpSession;
  readonly detector: ToneDetector;
  /** Its own SDP (as offerer or answerer). */
  sdp(direction?: MediaDirection): string;
}

/** Candidate tones used by the e2e tests. */
export const TONES = [440, 1000, 1600] as const;

/** Opens a party on an ephemeral loopback port. */
export async function party(tag: string): Promise<Party> {
  const session = await createRtpSession();
  const detector = new ToneDetector({ candidatesHz: [...TONES] });
  session.on('audio', (pcm) => detector.push(pcm));
  return {
    tag,
    session,
    detector,
    sdp: (direction = 'sendrecv') =>
      buildOffer({ address: '127.0.0.1', port: session.local.port, codecs: ['PCMU'], direction }),
  };
}

/** Points `p` at the endpoint in `sdp` and applies its direction as our answer to it. */
export function connect(p: Party, sdp: string): void {
  const remote = parseRemoteMedia(sdp);
  if (!remote.ok) throw remote.error;
  p.session.setRemote({ address: remote.value.address, port: remote.value.port });
}

/** Bridges caller and callee through rtpengine (offer from caller, answer from callee). */
export async function bridge(
  ctl: RtpEngineController,
  callId: string,
  caller: Party,
  callee: Party,
): Promise<void> {
  const offer = await ctl.offer({ callId, fromTag: caller.tag, sdp: caller.sdp() });
  const answer = answerOffer(offer.sdp, {
    address: '127.0.0.1',
    port: callee.session.local.port,
    codecs: ['PCMU'],
  });
  if (!answer.ok) throw answer.error;
  const back = await ctl.answer({ callId, fromTag: caller.tag, toTag: callee.tag, sdp: answer.value.sdp });
  connect(callee, offer.sdp);
  connect(caller, back.sdp);
}

/** Polls until `predicate` holds. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
