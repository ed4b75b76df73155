/**
 * The shared behaviour suite on a real drachtio-server (createDrachtioBackend).
 *
 * Runs only when DRACHTIO_HOST is set, as `host:port:secret` of drachtio-server's control
 * socket (e.g. `DRACHTIO_HOST=127.0.0.1:9022:cymru`; `DRACHTIO_PORT` and `DRACHTIO_SECRET` may
 * give the port and secret instead, default 9022 and `cymru`). Otherwise the suite is reported
 * as skipped, never as passed: no drachtio-server can be installed on the CI machines.
 *
 * The raw endpoint and phones bind DRACHTIO_PHONES_HOST (default 127.0.0.1, right for a
 * drachtio-server on the same host or in a container with host networking, e.g.
 * `docker run --net=host drachtio/drachtio-server:0.8.27`); it must be an address of this machine
 * that drachtio-server can reach and that reaches drachtio-server's SIP address (a bridge
 * network's gateway, e.g. 172.17.0.1). It is added to the trunk's ACL.
 */
import { describe } from 'vitest';
import { startMockTrunk } from '../../src/index.js';
import { behaviourSuite } from './behaviour.js';

function drachtioTarget(): { host: string; port: number; secret: string } | undefined {
  const raw = process.env.DRACHTIO_HOST;
  if (raw === undefined || raw.trim() === '') return undefined;
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?(?::(.+))?$/.exec(raw.trim());
  if (!m) throw new Error(`DRACHTIO_HOST "${raw}": expected <host>[:<port>[:<secret>]]`);
  return {
    host: (m[1] ?? '').replace(/^\[|\]$/g, ''),
    port: Number(m[2] ?? process.env.DRACHTIO_PORT ?? 9022),
    secret: m[3] ?? process.env.DRACHTIO_SECRET ?? 'cymru',
  };
}

const drachtio = drachtioTarget();
const peersHost = process.env.DRACHTIO_PHONES_HOST ?? '127.0.0.1';

if (drachtio) {
  describe(`signalling backend behaviour suite: createDrachtioBackend (drachtio-server ${drachtio.host}:${drachtio.port})`, () => {
    behaviourSuite({
      peersHost,
      timeoutMs: 40_000,
      startTrunk: (options) => startMockTrunk({ ...options, drachtio }),
    });
  });
} else {
  describe.skip('signalling backend behaviour suite: createDrachtioBackend — SKIPPED: set DRACHTIO_HOST=<host>:<port>:<secret> of a drachtio-server to run it', () => {
    behaviourSuite({ peersHost, startTrunk: (options) => startMockTrunk(options) });
  });
}
