import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  TRANSFEROR_TRANSITIONS,
  TRUNK_TRANSFER_TRANSITIONS,
  initialTransferorState,
  initialTrunkTransferState,
  transferorTransition,
  trunkTransferTransition,
} from '../src/index.js';
import type {
  TransferorEvent,
  TransferorState,
  TrunkTransferEvent,
  TrunkTransferState,
} from '../src/index.js';

/** One step of a trace: an event in, the state kind (and optionally more of the state) and effects out. */
interface Step {
  readonly event: Record<string, unknown>;
  readonly state: string;
  readonly match?: Record<string, unknown>;
  readonly effects: readonly Record<string, unknown>[];
}

interface Fixture {
  readonly description: string;
  readonly machine: 'transferor' | 'trunk';
  /** Rows of the seed's tables (and races) this trace reproduces. */
  readonly covers: readonly string[];
  readonly initial?: Record<string, unknown>;
  readonly steps: readonly Step[];
}

const dir = new URL('../fixtures/transfer/', import.meta.url);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();
const fixtures = files.map((file) => ({
  file,
  fixture: JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as Fixture,
}));

type AnyTransition = (state: unknown, event: unknown) => { state: unknown; effects: readonly unknown[] };

const machines: Record<
  Fixture['machine'],
  { initial: () => unknown; transition: AnyTransition; table: Readonly<Record<string, readonly string[]>> }
> = {
  transferor: {
    table: TRANSFEROR_TRANSITIONS,
    initial: initialTransferorState,
    transition: (s, e) => transferorTransition(s as TransferorState, e as TransferorEvent),
  },
  trunk: {
    table: TRUNK_TRANSFER_TRANSITIONS,
    initial: () => initialTrunkTransferState(),
    transition: (s, e) => trunkTransferTransition(s as TrunkTransferState, e as TrunkTransferEvent),
  },
};

/** Moves seen while replaying the fixtures, per machine: `from>to`. */
const seen: Record<Fixture['machine'], Set<string>> = { transferor: new Set(), trunk: new Set() };

describe('transfer trace fixtures', () => {
  it('finds the fixtures', () => {
    expect(files.length).toBeGreaterThanOrEqual(70);
  });

  it.each(fixtures)('$file', ({ fixture }) => {
    const machine = machines[fixture.machine];
    expect(fixture.steps.length).toBeGreaterThan(0);
    let state = fixture.initial ?? machine.initial();
    fixture.steps.forEach((step, i) => {
      const where = `step ${i} (${String(step.event.type)})`;
      const result = machine.transition(state, step.event);
      expect((result.state as { kind: unknown }).kind, where).toBe(step.state);
      if (step.match !== undefined) expect(result.state, where).toMatchObject(step.match);
      expect(result.effects, where).toHaveLength(step.effects.length);
      expect(result.effects, where).toMatchObject(step.effects);
      const from = (state as { kind: string }).kind;
      const to = (result.state as { kind: string }).kind;
      if (from !== to) seen[fixture.machine].add(`${from}>${to}`);
      state = result.state;
    });
  });

  it('exercises every move of both transition tables', () => {
    for (const name of ['transferor', 'trunk'] as const) {
      const table = machines[name].table;
      const edges = Object.entries(table).flatMap(([from, tos]) => tos.map((to) => `${from}>${to}`));
      expect(
        edges.filter((edge) => !seen[name].has(edge)),
        name,
      ).toEqual([]);
      expect(
        [...seen[name]].filter((edge) => !edges.includes(edge)),
        name,
      ).toEqual([]);
    }
  });

  it('covers every row of the seed tables these layers own, and the races', () => {
    const covered = new Set(fixtures.flatMap(({ fixture }) => fixture.covers));
    const transferorStates = ['idle', 'referring', 'accepted', 'trying', 'ringing', 'done', 'ended'];
    const trunkStates = ['connected', 'calling', 'ringing', 'transferred', 'ended'];
    const required = [
      // Plivo's flow, steps 2-7 (steps 0-1, admission and the customer leg, are the mock trunk's).
      'flow:2-refer',
      'flow:3-202-notify-100',
      'flow:4-new-leg',
      'flow:5-notify-180-ringback',
      'flow:6-notify-200-bridge',
      'flow:7-bye-to-transferor',
      // REFER response codes.
      'code:202',
      'code:400',
      'code:403-domain',
      'code:403-private-ip',
      'code:403-geo',
      'code:481',
      'code:491',
      // Troubleshooting rows (codec mismatch is the media layer's).
      'trouble:403',
      'trouble:400',
      'trouble:202-caller-dropped',
      'trouble:202-no-notify',
      'trouble:notify-4xx-5xx',
      'trouble:international-403',
      // Races.
      'race:notify-before-202',
      'race:200-instead-of-202',
      'race:duplicate-notify',
      'race:notify-after-timeout',
      ...transferorStates.flatMap((s) => [
        `race:bye-transferor-remote-${s}`,
        `race:bye-transferor-local-${s}`,
      ]),
      ...trunkStates.flatMap((s) => [`race:bye-trunk-transferor-${s}`, `race:bye-trunk-caller-${s}`]),
    ];
    expect(required.filter((row) => !covered.has(row))).toEqual([]);
  });
});
