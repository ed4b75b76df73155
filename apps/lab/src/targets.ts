import type { MockTrunkOptions } from '@referkit/mock-trunk';
import type { LabTarget } from './server.js';

/** The lab's simulated numbers (the mock trunk's default phones). */
export const LAB_NUMBERS = {
  /** The customer the endpoint calls: answers and plays 1000 Hz; speaks G.711 mu-law (PCMU) only. */
  customer: '+14155550100',
  /** An agent who answers and plays 800 Hz. */
  agent: '+14155550101',
  /** An agent who is busy (486). */
  busy: '+14155550102',
  /** An agent who never answers (the trunk gives up with 408). */
  noAnswer: '+14155550103',
  /** An agent who declines (603). */
  decline: '+14155550104',
  /** An agent who answers and plays 800 Hz on a phone that speaks A-law (PCMA) only. */
  pcmaAgent: '+14155550105',
} as const;

/**
 * The lab's simulated phones. The answering agent lets the call ring for two seconds, as a person
 * would, so the customer hears ring-back before the agent picks up.
 */
export const LAB_PHONES: NonNullable<Exclude<MockTrunkOptions['phones'], false>> = {
  [LAB_NUMBERS.customer]: { kind: 'answer', answerAfterMs: 300, toneHz: 1000, codecs: ['PCMU'] },
  [LAB_NUMBERS.agent]: { kind: 'answer', answerAfterMs: 2000, toneHz: 800 },
  [LAB_NUMBERS.busy]: { kind: 'busy' },
  [LAB_NUMBERS.noAnswer]: { kind: 'no-answer' },
  [LAB_NUMBERS.decline]: { kind: 'decline', answerAfterMs: 1000 },
  [LAB_NUMBERS.pcmaAgent]: { kind: 'answer', answerAfterMs: 1000, toneHz: 800, codecs: ['PCMA'] },
};

/**
 * The transfer targets the dashboard offers, each with the Refer-To the endpoint sends and what the
 * trunk does with it. The last four are refused by the trunk, so the endpoint sends them without
 * validating them first (its own validator would refuse them before they reach the wire).
 */
export function labTargets(domain: string): LabTarget[] {
  const at = (number: string, host = domain): string => `<sip:${number}@${host}>`;
  return [
    { id: 'agent', label: 'Answering agent', referTo: at(LAB_NUMBERS.agent) },
    { id: 'busy', label: 'Busy agent (486)', referTo: at(LAB_NUMBERS.busy) },
    { id: 'no-answer', label: 'No-answer agent (408)', referTo: at(LAB_NUMBERS.noAnswer) },
    { id: 'decline', label: 'Declining agent (603)', referTo: at(LAB_NUMBERS.decline) },
    {
      id: 'codec-mismatch',
      label: 'PCMA-only agent (no audio)',
      referTo: at(LAB_NUMBERS.pcmaAgent),
    },
    {
      id: 'foreign-domain',
      label: 'Foreign domain (403)',
      referTo: at(LAB_NUMBERS.agent, 'pbx.example.com'),
    },
    { id: 'private-ip', label: 'Private IP (403)', referTo: at(LAB_NUMBERS.agent, '192.168.1.20') },
    { id: 'geo', label: 'Outside Geo Permissions (403)', referTo: at('+442079460000') },
    { id: 'malformed', label: 'Malformed, not E.164 (400)', referTo: at('agent') },
  ];
}
