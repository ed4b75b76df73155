#!/usr/bin/env node
import { runCli } from './cli.js';
import { keepYoungGenerationSmall } from './young-generation.js';

keepYoungGenerationSmall(process.execArgv, process.env['NODE_OPTIONS']);

const result = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
if (result.trunk === undefined) {
  process.exitCode = result.code;
} else {
  const trunk = result.trunk;
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`referkit-trunk: ${signal}, closing\n`);
    trunk.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`referkit-trunk: close failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
