import { Panel, useReactFlow } from '@xyflow/react';
import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { blockTitle } from '../lib/block-title';
import { useEditor, useProblems } from '../store';
import type { FlowNode } from '../store/flow-model';
import type { BlueprintProblem } from '../store/problems';

function titleOf(nodes: readonly FlowNode[], id: string | null): string | null {
  const node = id === null ? undefined : nodes.find((n) => n.id === id);
  return node?.type ? blockTitle(node.type, node.data) : id;
}

/**
 * The blueprint's problems over the canvas, one item per problem (block, field, message): a
 * click selects the block and brings it into view. Shown only while there are problems, and
 * they are what keeps Run disabled.
 */
export function ProblemsPanel() {
  const problems = useProblems();
  const titles = useEditor(useShallow((s) => problems.map((p) => titleOf(s.nodes, p.nodeId))));
  const selectOnly = useEditor((s) => s.selectOnly);
  const flow = useReactFlow();
  const [open, setOpen] = useState(true);
  if (problems.length === 0) return null;

  const reveal = (problem: BlueprintProblem) => {
    if (problem.nodeId === null) return;
    selectOnly([problem.nodeId]);
    void flow.fitView({ nodes: [{ id: problem.nodeId }], maxZoom: 1, minZoom: 0.5, duration: 200, padding: 0.6 });
  };

  return (
    <Panel position="top-left" className="problems" role="region" aria-label="Problems">
      <button type="button" className="problems__head" aria-expanded={open} onClick={() => setOpen((v) => !v)}>
        <span className="problems__count">{problems.length}</span> {problems.length === 1 ? 'problem' : 'problems'} · Run waits until they
        are fixed
      </button>
      {open && (
        <ul className="problems__list">
          {problems.map((problem, index) => (
            <li key={`${problem.nodeId ?? ''}:${problem.field ?? ''}:${index}`}>
              <button type="button" className="problems__item" onClick={() => reveal(problem)} disabled={problem.nodeId === null}>
                <span className="problems__where">
                  {titles[index] ?? 'Blueprint'}
                  {problem.fieldLabel && <span className="problems__field"> · {problem.fieldLabel}</span>}
                </span>
                <span className="problems__message">{problem.message}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </Panel>
  );
}
