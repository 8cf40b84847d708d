/**
 * The Run panel's input payload as typed. A text that does not parse stays here (not in the
 * document) so it survives a tab switch, and it holds Run back: a run never goes with an
 * earlier input than the one on screen.
 */
import { createStore } from 'zustand/vanilla';
import { describeJsonProblem, findJsonSyntaxError } from '../../kv/json';

export interface RunInputState {
  /** What the person typed, or null when the field shows the start block's sample input. */
  draft: string | null;
  setDraft(text: string | null): void;
}

/** Where a JSON text fails to parse, as a person reads it; null when it parses. */
export function inputProblemOf(text: string): string | null {
  if (text.trim() === '') return 'Enter a JSON value, e.g. {}';
  const syntax = findJsonSyntaxError(text);
  return syntax ? describeJsonProblem(text, syntax) : null;
}

/** The problem of the draft, if any: what keeps Run disabled. */
export function draftProblem(state: Pick<RunInputState, 'draft'>): string | null {
  return state.draft === null ? null : inputProblemOf(state.draft);
}

export function createRunInputStore() {
  return createStore<RunInputState>()((set) => ({
    draft: null,
    setDraft: (draft) => set({ draft }),
  }));
}
