import { describe, expect, it } from 'vitest';
import { escapeMermaidText, mermaidLadder } from '../../src/observe/index.js';
import type { SipTraceEvent, TrunkEvent } from '../../src/observe/index.js';
import { transferTrace } from './fixtures.js';

const PARTICIPANT = /^ {4}participant [A-Za-z][A-Za-z0-9]* as [^;#\n]+$/;
// Message and note text: anything but raw ';', '#' and line breaks; entity codes (#59;) are allowed.
const TEXT = String.raw`(?:[^;#\n]|#\d+;)+`;
const ARROW = new RegExp(String.raw`^ {4}([A-Za-z][A-Za-z0-9]*)(->>|-->>)([A-Za-z][A-Za-z0-9]*): ${TEXT}$`);
const NOTE = new RegExp(String.raw`^ {4}Note over ([A-Za-z][A-Za-z0-9]*): ${TEXT}$`);

/** Checks every line against the sequenceDiagram grammar subset the ladder uses; returns the arrows. */
function structure(text: string): {
  arrows: [string, string, string][];
  notes: string[];
  participants: string[];
} {
  expect(text.endsWith('\n')).toBe(true);
  const lines = text.slice(0, -1).split('\n');
  expect(lines[0]).toBe('sequenceDiagram');
  const participants: string[] = [];
  const arrows: [string, string, string][] = [];
  const notes: string[] = [];
  for (const line of lines.slice(1)) {
    if (PARTICIPANT.test(line)) {
      expect(arrows).toHaveLength(0); // participants come first
      participants.push(line.split(' ')[5]!);
      continue;
    }
    const arrow = ARROW.exec(line);
    if (arrow) {
      expect(participants).toContain(arrow[1]);
      expect(participants).toContain(arrow[3]);
      arrows.push([arrow[1]!, arrow[2]!, arrow[3]!]);
      continue;
    }
    const note = NOTE.exec(line);
    if (note) {
      expect(participants).toContain(note[1]);
      notes.push(line);
      continue;
    }
    expect(line, 'a line that is neither participant, arrow nor note').toMatch(/^ {4}(title .+|autonumber)$/);
  }
  return { arrows, notes, participants };
}

describe('mermaidLadder', () => {
  const trace = transferTrace();
  const sipCount = trace.filter((e) => e.type === 'sip').length;

  it('draws one arrow per SIP message between the right participants, notes for state and media', () => {
    const text = mermaidLadder(trace);
    const { arrows, notes } = structure(text);
    expect(arrows).toHaveLength(sipCount);
    expect(arrows[0]).toEqual(['E', '->>', 'T']); // INVITE from the endpoint
    expect(arrows[1]).toEqual(['T', '-->>', 'E']); // 100 Trying
    expect(arrows[2]).toEqual(['T', '->>', 'C']); // INVITE to the customer
    expect(arrows).toContainEqual(['G', '-->>', 'T']); // target answers
    expect(text).toContain('    E->>T: REFER\n');
    expect(text).toContain('    T-->>E: 202 Accepted (REFER)\n');
    // ';' and '#' in text are entity-coded.
    expect(text).toContain('Note over T: transferring (to +14155550101#59; via REFER #35;1)');
    expect(text).toContain('Note over T: customer: ringing');
    // The customer's hearing is drawn over the customer (the number the trunk INVITEd on that leg).
    expect(notes).toContain('    Note over C: +14155550100 hears ringback');
    expect(notes.filter((n) => n.includes('hears'))).toHaveLength(3);
  });

  it('keeps time order, options add title, autonumber and times, media can be left out', () => {
    const reversed = [...trace].reverse();
    const text = mermaidLadder(reversed, {
      title: 'Call call-1; blind',
      autonumber: true,
      times: true,
      media: false,
    });
    const { arrows, notes } = structure(text);
    expect(arrows).toHaveLength(sipCount);
    expect(notes.some((n) => n.includes('hears'))).toBe(false);
    expect(text).toContain('    title Call call-1#59; blind\n    autonumber\n');
    expect(text).toContain('    E->>T: +0.000s INVITE\n');
    expect(text).toContain('    T->>E: +2.605s BYE\n');
  });

  it('gives unknown peers their own participant', () => {
    const stray: SipTraceEvent = {
      type: 'sip',
      at: 1,
      direction: 'in',
      transport: 'udp',
      local: '127.0.0.1:5060',
      remote: '198.51.100.7:5060',
      callId: 'x',
      raw: 'OPTIONS sip:trunk SIP/2.0\r\n\r\n',
      summary: '',
    };
    const text = mermaidLadder([
      stray,
      { ...stray, at: 2, direction: 'out', raw: 'SIP/2.0 403 Forbidden\r\n\r\n' },
    ]);
    const { arrows, participants } = structure(text);
    expect(participants).toContain('P1');
    expect(text).toContain('    participant P1 as 198.51.100.7:5060\n');
    expect(arrows).toEqual([
      ['P1', '->>', 'T'],
      ['T', '-->>', 'P1'],
    ]);
    expect(text).toContain('T-->>P1: 403 Forbidden');
  });

  it('escapes statement separators, comments and line breaks', () => {
    expect(escapeMermaidText('a;b#c%%d\r\ne')).toBe('a#59;b#35;c#37;#37;d e');
    const { arrows } = structure(mermaidLadder([]));
    expect(arrows).toHaveLength(0);
  });

  it("is accepted by mermaid's own parser", async () => {
    const { default: mermaid } = await import('mermaid');
    const events: TrunkEvent[] = transferTrace();
    // (A title needs DOMPurify, which has no DOM in Node: the parser is checked without one.)
    await expect(
      mermaid.parse(mermaidLadder(events, { autonumber: true, times: true })),
    ).resolves.toMatchObject({
      diagramType: 'sequence',
    });
    await expect(mermaid.parse('sequenceDiagram\n    E->>: broken\n')).rejects.toThrow();
  }, 60_000); // loading mermaid takes seconds on a busy machine
});
