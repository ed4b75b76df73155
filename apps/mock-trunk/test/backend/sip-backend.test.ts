// The shared behaviour suite on the embedded engine (createSipBackend, the default backend).
import { describe } from 'vitest';
import { createSipBackend, startMockTrunk } from '../../src/index.js';
import { behaviourSuite } from './behaviour.js';

describe('signalling backend behaviour suite: createSipBackend (@referkit/sip)', () => {
  behaviourSuite({
    peersHost: '127.0.0.1',
    startTrunk: (options) =>
      startMockTrunk({
        ...options,
        backend: (listen) =>
          createSipBackend({
            listen: listen.map((l) => ({
              transport: l.transport,
              host: l.host ?? '127.0.0.1',
              port: l.port ?? 0,
            })),
            userAgent: 'referkit-mock-trunk',
          }),
      }),
  });
});
