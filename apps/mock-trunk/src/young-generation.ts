import { setFlagsFromString } from 'node:v8';

/**
 * Latency over throughput for the CLI: V8 grows its young generation under a steady allocation
 * rate (up to 16 MiB semi-spaces on 64-bit Node), and every object a call keeps for a second or
 * more (dialogs, transactions waiting out Timer K / M, the event buffer) is then copied in
 * scavenges of 5-15 ms, stalls that every SIP message arriving meanwhile waits out. Stopping the
 * semi-spaces from growing further makes scavenges frequent and about 2 ms each.
 *
 * Called as the CLI starts, before the first call arrives. Flags given to Node itself
 * (`--max-semi-space-size`, `--semi-space-growth-factor`, in argv or NODE_OPTIONS) win.
 */
export function keepYoungGenerationSmall(
  execArgv: readonly string[],
  nodeOptions: string | undefined,
): boolean {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  if (
    given.some((flag) => /^--(max[-_]semi[-_]space[-_]size|semi[-_]space[-_]growth[-_]factor)\b/.test(flag))
  )
    return false;
  setFlagsFromString('--semi-space-growth-factor=1');
  return true;
}
