/**
 * Each block's problems as lines, looked up from one index per editor state. Every block on the
 * canvas selects its own problems on every store change; without the index each of them
 * compared the whole document against the problems cache (n blocks × n nodes per change, a
 * million comparisons per drag frame at 1,000 blocks).
 */
import { createProblemsCache, type BlueprintProblem } from '../store/problems';
import type { FlowEdge, FlowNode, BlueprintMeta } from '../store/flow-model';

interface DocumentState {
  nodes: readonly FlowNode[];
  edges: readonly FlowEdge[];
  meta: BlueprintMeta;
}

/** Problem lines by node id (`Key: …`), for one problems array. */
export function problemLinesByNode(problems: readonly BlueprintProblem[]): Map<string, string> {
  const lines = new Map<string, string>();
  for (const p of problems) {
    if (p.nodeId === null) continue;
    const line = p.fieldLabel ? `${p.fieldLabel}: ${p.message}` : p.message;
    const before = lines.get(p.nodeId);
    lines.set(p.nodeId, before === undefined ? line : `${before}\n${line}`);
  }
  return lines;
}

/**
 * A selector factory: `blockProblemsIn()` gives a function from a state and a node id to its
 * lines ('' when none), which checks the document once per state object and once per problems
 * array, however many blocks ask.
 */
export function blockProblemsIn(): (state: DocumentState, nodeId: string) => string {
  const problemsOf = createProblemsCache();
  let lastState: DocumentState | null = null;
  let lastProblems: readonly BlueprintProblem[] | null = null;
  let index = new Map<string, string>();
  return (state, nodeId) => {
    if (state !== lastState) {
      lastState = state;
      const problems = problemsOf(state);
      if (problems !== lastProblems) {
        lastProblems = problems;
        index = problemLinesByNode(problems);
      }
    }
    return index.get(nodeId) ?? '';
  };
}
