import { parseArgs } from 'node:util';
import { destination, pino } from 'pino';
import { LabStartError, startLab } from './lab.js';

const USAGE = `Usage: pnpm dev [-- options]

Starts the referkit lab on loopback: rtpengine, the mock trunk with its simulated phones, the
reference endpoint and the dashboard.

Options:
  --sip-port <port>    the trunk's SIP port (default 5060)
  --http-port <port>   the dashboard's port (default 8060)
  --media <mode>       rtpengine (default) or none (signalling only)
  --verbose            log every part's activity (pino, to stderr)
  -h, --help           show this help`;

function port(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new LabStartError(`${flag} must be a port number, not "${value}"`);
  return n;
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2).filter((arg) => arg !== '--'),
      options: {
        'sip-port': { type: 'string' },
        'http-port': { type: 'string' },
        media: { type: 'string' },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`referkit lab: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.media !== undefined && values.media !== 'rtpengine' && values.media !== 'none') {
    process.stderr.write(`referkit lab: --media must be rtpengine or none, not "${values.media}"\n`);
    return 2;
  }
  const started = Date.now();
  let lab;
  try {
    lab = await startLab({
      sipPort: port(values['sip-port'], 5060, '--sip-port'),
      httpPort: port(values['http-port'], 8060, '--http-port'),
      media: values.media === 'none' ? 'none' : 'rtpengine',
      ...(values.verbose ? { logger: pino({ level: 'debug' }, destination(2)) } : {}),
    });
  } catch (err) {
    process.stderr.write(`referkit lab: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  const address = lab.trunk.addresses[0];
  process.stdout.write(
    `referkit lab ready in ${Date.now() - started} ms: ${lab.url}  (trunk sip:${address?.host ?? ''}:${address?.port ?? ''}, Ctrl-C stops everything)\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stdout.write('referkit lab: stopping...\n');
  await lab.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `referkit lab: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
