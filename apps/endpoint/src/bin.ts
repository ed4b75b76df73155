#!/usr/bin/env node
import { destination, pino } from 'pino';
import { runCli } from './cli.js';

// Diagnostics (SIP transport, media) go to stderr when REFERKIT_LOG_LEVEL is set, e.g. `debug`.
const level = process.env.REFERKIT_LOG_LEVEL;
const logger = level === undefined || level === '' ? undefined : pino({ level }, destination(2));

runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  onSignal: (handler) => {
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
    return () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    };
  },
  ...(logger ? { logger } : {}),
}).then(
  (code) => process.stdout.write('', () => process.exit(code)),
  (err: unknown) => {
    process.stderr.write(`referkit-endpoint: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
