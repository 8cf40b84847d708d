import { Handle, Position, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { manifestOf } from '../../engine';
import type { BlockType, Out } from '../../engine/types';
import { BlockIcon } from '../atoms/BlockIcon';
import { errorTooltip } from '../atoms/ErrorHelp';
import type { FlowNode } from '../store/flow-model';
import type { NodeRunStatus } from '../store/run-state';
import { useBlockProblems, useRun } from '../store';
import { blockTitle } from '../lib/block-title';

const OUT_LABELS: Record<Out, string> = { success: 'success', error: 'error', true: 'true', false: 'false' };

/** The corner badge: a glyph for people who cannot tell the border colours apart. */
const STATUS_BADGES: Record<Exclude<NodeRunStatus, 'idle'>, { glyph: string; label: string }> = {
  running: { glyph: '', label: 'Running' },
  success: { glyph: '✓', label: 'Succeeded in the last run' },
  error: { glyph: '!', label: 'Failed in the last run' },
};

/** Every block type renders through this one component, from its manifest. */
function BlockNodeView({ id, type, data, selected }: NodeProps<FlowNode>) {
  const blockType = type as BlockType;
  const manifest = manifestOf(blockType);
  const status = useRun((s) => s.view.nodeStatus[id] ?? 'idle');
  const failure = useRun((s) => (s.view.nodeStatus[id] === 'error' ? s.view.lastStep[id]?.error ?? null : null));
  const summary = manifest.summary(data as never);
  const badge = status === 'idle' ? null : STATUS_BADGES[status];
  const problems = useBlockProblems(id);
  const problemCount = problems === '' ? 0 : problems.split('\n').length;
  return (
    <div className={`block block--${blockType} block--${status}${selected ? ' block--selected' : ''}${problemCount ? ' block--has-problems' : ''}`}>
      {problemCount > 0 && (
        <span className="block__problems" role="img" aria-label={`${problemCount} ${problemCount === 1 ? 'problem' : 'problems'}`} title={problems}>
          ⚠ {problemCount}
        </span>
      )}
      {blockType !== 'start' && <Handle type="target" position={Position.Left} className="block__in" title="In: connect an out here" />}
      {badge && (
        <span className={`block__status block__status--${status}`} title={badge.label}>
          {badge.glyph}
        </span>
      )}
      <div className="block__head" title={`Block id: ${id}${typeof data.ref === 'string' && data.ref ? ` · alias: ${data.ref}` : ''}`}>
        <BlockIcon type={blockType} data={data} />
        <span className="block__title">{blockTitle(blockType, data)}</span>
      </div>
      <div className="block__summary" title={summary}>{summary || '\u00a0'}</div>
      {failure && (
        // The message is clamped to a few lines on the canvas; the tooltip (with the code's help) and the inspector hold all of it.
        <div className="block__error" role="alert" title={errorTooltip(failure)}>
          <strong className="block__error-code">{failure.code}</strong>
          <span className="block__error-message">{failure.message}</span>
        </div>
      )}
      <div className="block__outs">
        {manifest.outs.map((out) => (
          <div key={out} className={`block__out block__out--${out}`}>
            <span className="block__out-label">{OUT_LABELS[out]}</span>
            <Handle type="source" id={out} position={Position.Right} className={`block__handle block__handle--${out}`} title={`Out: ${OUT_LABELS[out]}, drag to a block`} />
          </div>
        ))}
      </div>
    </div>
  );
}

export const BlockNode = memo(BlockNodeView);
