import type { TrunkEvent } from './types.js';

/** Options of {@link mermaidLadder}. */
export interface MermaidLadderOptions {
  /** Diagram title (omitted by default). */
  readonly title?: string | undefined;
  /** Number the arrows (`autonumber`; default `false`). */
  readonly autonumber?: boolean | undefined;
  /** Add a note for each media event (default `true`). */
  readonly media?: boolean | undefined;
}

/**
 * Renders events as a Mermaid `sequenceDiagram`: participants Endpoint, Trunk, Customer and
 * Target, one arrow per SIP message, notes for state changes.
 */
export function mermaidLadder(events: readonly TrunkEvent[], options: MermaidLadderOptions = {}): string {
  void options;
  return `sequenceDiagram\n%% ${events.length} events (not rendered yet)\n`;
}
