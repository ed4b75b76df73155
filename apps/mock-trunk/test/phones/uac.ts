// A raw SIP UAC with real RTP for calling the phone bank in tests.
import { ToneDetector, createRtpSession } from '@referkit/media';
import type { G711Codec, RtpSession } from '@referkit/media';
import { createSipStack } from '@referkit/sip';
import type { ClientTransaction, Dialog, DialogEndReason, SipStack, StackResponse } from '@referkit/sip';

/** Polls `check` every 20 ms until it returns a truthy value; rejects after `timeoutMs`. */
export async function until<T>(
  check: () => T | undefined | false | null,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface UacCall {
  readonly tx: ClientTransaction;
  readonly rtp: RtpSession;
  readonly detector: ToneDetector;
  readonly provisional: number[];
  readonly final: Promise<StackResponse>;
  readonly ended: Promise<DialogEndReason>;
  dialog(): Dialog | undefined;
}

export class Uac {
  private readonly rtps: RtpSession[] = [];
  private constructor(
    readonly stack: SipStack,
    readonly host: string,
  ) {}

  static async start(host = '127.0.0.1'): Promise<Uac> {
    const stack = await createSipStack({ listen: [{ transport: 'udp', host, port: 0 }] });
    return new Uac(stack, host);
  }

  async rtpSession(): Promise<RtpSession> {
    const rtp = await createRtpSession({ host: this.host });
    this.rtps.push(rtp);
    return rtp;
  }

  request(
    method: string,
    number: string,
    target: { host: string; port: number },
    extras: { headers?: Record<string, string>; body?: string } = {},
  ): ClientTransaction {
    const host = target.host.includes(':') ? `[${target.host}]` : target.host;
    return this.stack.sendRequest(
      {
        method,
        uri: `sip:${number}@${host}:${target.port}`,
        headers: { From: '<sip:+14155559999@lab.test>', ...extras.headers },
        ...(extras.body !== undefined ? { body: extras.body } : {}),
      },
      { destination: { transport: 'udp', host: target.host, port: target.port } },
    );
  }

  async invite(
    number: string,
    target: { host: string; port: number },
    options: { codecs?: readonly G711Codec[]; detectHz?: readonly number[] } = {},
  ): Promise<UacCall> {
    const rtp = await this.rtpSession();
    const detector = new ToneDetector({ candidatesHz: options.detectHz ?? [600, 800, 1000] });
    rtp.on('audio', (pcm) => detector.push(pcm));
    const tx = this.request('INVITE', number, target, {
      headers: { 'Content-Type': 'application/sdp' },
      body: rtp.localOffer(options.codecs ? { codecs: options.codecs } : {}),
    });
    const provisional: number[] = [];
    tx.on('provisional', (res) => provisional.push(res.status));
    let resolveEnded: (reason: DialogEndReason) => void = () => undefined;
    const ended = new Promise<DialogEndReason>((resolve) => {
      resolveEnded = resolve;
    });
    let watched: Dialog | undefined;
    tx.on('dialog', (dialog) => {
      if (watched === dialog) return;
      watched = dialog;
      dialog.on('terminated', (reason) => resolveEnded(reason));
    });
    const final = tx.response.then((res) => {
      if (res.status === 200) {
        const applied = rtp.applyAnswer(res.body.toString('utf8'));
        if (!applied.ok) throw applied.error;
      }
      return res;
    });
    return { tx, rtp, detector, provisional, final, ended, dialog: () => tx.dialog };
  }

  async close(): Promise<void> {
    await Promise.all(this.rtps.map((r) => r.close()));
    await this.stack.close();
  }
}
