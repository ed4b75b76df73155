import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { TransferOptions, TransferProgress, TransferorEffect, TransferorEvent } from '@referkit/core';
import { describe, expect, it } from 'vitest';
import { hangUp, transfer } from '../src/index.js';
import type { TransferResult } from '../src/index.js';
import { FakeDialog, ManualTimers, flush } from './fake-dialog.js';
import type { FakeResponse } from './fake-dialog.js';

/**
 * @referkit/core's transferor trace fixtures replayed through the adapter: each event becomes what
 * a drachtio-srf dialog would see on the wire (a REFER response, a NOTIFY, a BYE, time passing,
 * a hang-up), and the adapter must produce the fixture's NOTIFY answers, progress, BYEs and
 * outcome.
 *
 * Translations: `referSent` is drachtio-server's 100 Trying to the REFER (the adapter learns the
 * CSeq from a response); a NOTIFY after the transfer's outcome is answered by drachtio-srf's
 * default (200), since the adapter listens only while a transfer is in flight. Fixtures that feed
 * the machine moves a dialog cannot make (malformed events, a second transfer or a `referSent`
 * out of place: `error` effects other than the hang-up guard) or that never start a transfer are
 * left out.
 */

interface Step {
  readonly event: TransferorEvent | { readonly type: string };
  readonly effects: readonly TransferorEffect[];
}
interface Fixture {
  readonly description: string;
  readonly machine: string;
  readonly steps: readonly Step[];
}

const dir = join(
  dirname(createRequire(import.meta.url).resolve('@referkit/core/package.json')),
  'fixtures/transfer',
);
const fixtures = readdirSync(dir)
  .filter((f) => f.startsWith('transferor-') && f.endsWith('.json'))
  .map((f) => ({ file: f, fixture: JSON.parse(readFileSync(join(dir, f), 'utf8')) as Fixture }));

function replayable(fixture: Fixture): boolean {
  const types = fixture.steps.map((s) => s.event.type);
  if (!types.includes('transfer')) return false;
  return fixture.steps.every((s) =>
    s.effects.every((e) => e.type !== 'error' || e.error.code === 'HANG_UP_BEFORE_FINAL_NOTIFY'),
  );
}

const playable = fixtures.filter(({ fixture }) => replayable(fixture));

describe('core transferor fixtures through the adapter', () => {
  it('replays most of them', () => {
    expect(playable.length).toBeGreaterThanOrEqual(30);
  });

  it.each(playable.map(({ file, fixture }) => [file, fixture] as const))('%s', async (_file, fixture) => {
    const dialog = new FakeDialog();
    const timers = new ManualTimers();
    const progress: TransferProgress[] = [];
    const timerStart = new Map<string, { at: number; ms: number }>();
    const cseqs = new Map<number, number>();
    const notifies: { res: FakeResponse; expected: number }[] = [];
    let result: TransferResult | undefined;
    let promise: Promise<TransferResult> | undefined;
    let ended = false;
    const expectedProgress: string[] = [];
    let expectedByes = 0;
    let appByes = 0;
    let expectedOutcome: Extract<TransferorEffect, { type: 'outcome' }> | undefined;

    for (const step of fixture.steps) {
      const event = step.event as TransferorEvent;
      if (ended) break; // nothing reaches a dialog that has ended
      switch (event.type) {
        case 'transfer': {
          const { targets, ...rest }: TransferOptions = event.options;
          promise = transfer(dialog, targets, {
            ...rest,
            referredBy: event.options.referredBy ?? false,
            validate: false,
            timers,
            onProgress: (p) => progress.push(p),
          });
          void promise.then((r) => (result = r));
          break;
        }
        case 'referSent':
          cseqs.set(event.cseq, dialog.lastRefer.cseq);
          dialog.lastRefer.respond(100, 'Trying');
          break;
        case 'referResponse':
          dialog.lastRefer.respond(
            event.status,
            event.reason ?? '',
            event.referSub === undefined ? {} : { 'Refer-Sub': String(event.referSub) },
          );
          break;
        case 'notify': {
          const id =
            event.eventId === undefined ? undefined : (cseqs.get(event.eventId) ?? event.eventId + 10_000);
          const answer = step.effects.find((e) => e.type === 'answerNotify');
          const listening = result === undefined && promise !== undefined;
          const res = dialog.notify(
            {
              Event: id === undefined ? 'refer' : `refer;id=${id}`,
              'Subscription-State': event.subscriptionState,
            },
            event.sipfrag === undefined ? '' : `SIP/2.0 ${event.sipfrag.code} ${event.sipfrag.reason}\r\n`,
          );
          notifies.push({
            res,
            expected: listening ? (answer?.type === 'answerNotify' ? answer.status : 0) : 200,
          });
          break;
        }
        case 'timerFired': {
          const timer = timerStart.get(event.id);
          // A stale timer (no effects) was cancelled: it cannot fire on a real clock.
          if (timer !== undefined && step.effects.length > 0)
            timers.advance(timer.at + timer.ms - timers.time);
          break;
        }
        case 'hangUp': {
          const refused = step.effects.some((e) => e.type === 'error');
          const outcome = hangUp(dialog).then(
            () => 'sent',
            (e: unknown) => (e as { code?: string }).code,
          );
          expect(await outcome).toBe(refused ? 'HANG_UP_BEFORE_FINAL_NOTIFY' : 'sent');
          if (!refused) ended = true;
          break;
        }
        case 'dialogEnded':
          if (event.by === 'remote') dialog.remoteBye();
          else {
            appByes += 1; // the application's own dialog.destroy(), not the adapter's
            dialog.destroy({ headers: {} }, () => undefined);
          }
          ended = true;
          break;
        default:
          throw new Error(`unexpected event ${JSON.stringify(event)}`);
      }
      for (const effect of step.effects) {
        if (effect.type === 'startTimer') timerStart.set(effect.id, { at: timers.time, ms: effect.ms });
        if (effect.type === 'progress') expectedProgress.push(effect.progress.kind);
        if (effect.type === 'sendBye') expectedByes += 1;
        if (effect.type === 'outcome') expectedOutcome = effect;
      }
      await flush();
    }

    expect(notifies.map((n) => n.res.status)).toEqual(notifies.map((n) => n.expected));
    expect(progress.map((p) => p.kind)).toEqual(expectedProgress);
    expect(dialog.byes - appByes).toBe(expectedByes);
    if (expectedOutcome === undefined) {
      expect(result).toBeUndefined();
    } else {
      expect(result).toBeDefined();
      expect(result).toMatchObject(expectedOutcome.outcome);
      // Fixture CSeqs are the machine's; the fake dialog numbers its own REFERs.
      const attempts = expectedOutcome.attempts as readonly { cseq?: number | undefined }[] | undefined;
      if (attempts !== undefined) {
        expect(result?.attempts).toMatchObject(
          attempts.map((a) => (a.cseq === undefined ? a : { ...a, cseq: cseqs.get(a.cseq) ?? a.cseq })),
        );
      }
      expect(timers.size).toBe(0);
    }
  });
});
