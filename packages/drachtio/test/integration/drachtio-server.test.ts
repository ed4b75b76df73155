import { once } from 'node:events';
import type { TransferProgress } from '@referkit/core';
import Srf from 'drachtio-srf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canHangUp, hangUp, transfer } from '../../src/index.js';

/**
 * The adapter against a real drachtio-server and the mock trunk (docker/compose.yaml runs both):
 * an outbound call to the trunk's customer phone through drachtio-server, then REFERs to the
 * trunk's simulated phones. drachtio-server cannot be installed on the machines the suite
 * usually runs on, so the suite runs only when DRACHTIO_HOST (<host>:<port>:<secret>) is set,
 * and otherwise reports itself skipped with the reason.
 *
 * DRACHTIO_TRUNK (default 172.30.47.15:5060, the compose trunk's SIP on its drachtio-server
 * trunk-sip) is where drachtio-server sends the call; DRACHTIO_TRUNK_DOMAIN (default
 * lab.zt.plivo.com) its termination domain.
 */

const spec = process.env.DRACHTIO_HOST ?? '';
const trunk = process.env.DRACHTIO_TRUNK ?? '172.30.47.15:5060';
const domain = process.env.DRACHTIO_TRUNK_DOMAIN ?? 'lab.zt.plivo.com';
const match = /^(.+):(\d{1,5}):(.+)$/.exec(spec);
const server =
  match === null ? undefined : { host: match[1] ?? '', port: Number(match[2]), secret: match[3] ?? '' };
const SKIP_REASON =
  'DRACHTIO_HOST is not set (e.g. DRACHTIO_HOST=127.0.0.1:9022:cymru with `docker compose up` in docker/)';
if (spec === '') console.warn(`SKIPPED @referkit/drachtio integration suite: ${SKIP_REASON}`);

const SDP = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=referkit',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 40000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  'a=sendrecv',
  '',
].join('\r\n');

describe.skipIf(spec === '')(
  spec === ''
    ? `@referkit/drachtio against drachtio-server (skipped: ${SKIP_REASON})`
    : `@referkit/drachtio against drachtio-server ${spec.replace(/:[^:]*$/, '')}`,
  () => {
    const srf = new Srf();
    const dialogs: Srf.Dialog[] = [];
    let connecting = false;

    beforeAll(async () => {
      // A DRACHTIO_HOST that is set but unusable fails the suite rather than skipping it.
      if (server === undefined) throw new Error(`DRACHTIO_HOST="${spec}" is not <host>:<port>:<secret>`);
      const errors: unknown[] = [];
      srf.on('error', (err) => errors.push(err));
      // drachtio-srf 5.0.x's connect() returns nothing although its .d.ts says Promise: wait for
      // the 'connect' event instead.
      const connected = once(srf, 'connect');
      connecting = true;
      void srf.connect(server);
      const [err] = (await connected) as [Error | null | undefined];
      if (err) throw err;
    }, 20_000);

    afterAll(async () => {
      for (const dialog of dialogs) {
        if ((dialog as Srf.Dialog & { connected?: boolean }).connected !== false && canHangUp(dialog)) {
          await hangUp(dialog).catch(() => undefined);
        }
      }
      if (connecting) {
        try {
          srf.disconnect();
        } catch {
          // never connected (the connect failure already failed the suite)
        }
      }
    }, 20_000);

    async function call(): Promise<Srf.Dialog> {
      const dialog = await srf.createUAC(`sip:+14155550100@${domain}`, {
        localSdp: SDP,
        proxy: `sip:${trunk}`,
      });
      dialogs.push(dialog);
      return dialog;
    }

    it('succeeded: NOTIFY 100/180/200 from the trunk, then its BYE', async () => {
      const dialog = await call();
      const ended = once(dialog, 'destroy');
      const progress: TransferProgress[] = [];
      const outcome = await transfer(dialog, '+14155550101', { onProgress: (p) => progress.push(p) });
      expect(outcome.kind).toBe('succeeded');
      expect(progress.map((p) => p.kind)).toContain('accepted');
      await ended;
      expect(canHangUp(dialog)).toBe(false);
    }, 60_000);

    it('failed(486): the busy target leaves the caller on the call', async () => {
      const dialog = await call();
      const outcome = await transfer(dialog, '+14155550102');
      expect(outcome).toMatchObject({ kind: 'failed', code: 486 });
      expect(canHangUp(dialog)).toBe(true);
      await hangUp(dialog);
    }, 60_000);

    it('rejected(403): the trunk refuses a foreign domain (sent unvalidated)', async () => {
      const dialog = await call();
      const outcome = await transfer(dialog, 'sip:+14155550101@pbx.example.com', { validate: false });
      expect(outcome).toMatchObject({ kind: 'rejected', code: 403 });
      await hangUp(dialog);
    }, 60_000);

    it('hunt list: busy, then the agent answers', async () => {
      const dialog = await call();
      const outcome = await transfer(dialog, ['+14155550102', '+14155550101']);
      expect(outcome.kind).toBe('succeeded');
      expect(outcome.attempts.map((a) => a.outcome.kind)).toEqual(['failed', 'succeeded']);
    }, 90_000);
  },
);
