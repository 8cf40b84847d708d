import { Handle, Position, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { manifestOf } from '../../engine';
import type { BlockType, Out } from '../../engine/types';
import { BlockIcon } from '../atoms/BlockIcon';
import type { FlowNode } from '../store/flow-model';
import type { NodeRunStatus } from '../store/run-state';
import { useEditor, useRun } from '../store';
import { Icon } from '../atoms/Icon';
import { changedSinceRun } from '../store/run-store';
import { COMMANDS } from '../commands/editor-commands';
import { shortcutLabel } from '../commands/registry';
import { BlockErrorBadge } from './BlockErrorBadge';
import { blockTitle } from '../lib/block-title';
import { blockProblemsIn } from './block-problems';

const OUT_LABELS: Record<Out, string> = { success: 'success', error: 'error', true: 'true', false: 'false' };

/** The corner badge: a glyph for people who cannot tell the border colours apart. */
const STATUS_BADGES: Record<Exclude<NodeRunStatus, 'idle'>, { glyph: string; label: string }> = {
  running: { glyph: '', label: 'Running' },
  success: { glyph: '✓', label: 'Succeeded in the last run' },
  error: { glyph: '!', label: 'Failed in the last run' },
};

// One index of problems per editor state, shared by every block (see block-problems.ts).
const blockProblems = blockProblemsIn();

/** Every block type renders through this one component, from its manifest. */
function BlockNodeView({ id, type, data, selected }: NodeProps<FlowNode>) {
  const blockType = type as BlockType;
  const manifest = manifestOf(blockType);
  // A block edited since the shown run is idle again: its old error no longer holds.
  const changed = useRun((s) => changedSinceRun(s, id, data));
  const status = useRun((s) => s.view.nodeStatus[id] ?? 'idle');
  const failure = useRun((s) => (s.view.nodeStatus[id] === 'error' ? (s.view.lastStep[id]?.error ?? null) : null));
  const summary = manifest.summary(data as never);
  const shownStatus = changed ? 'idle' : status;
  const shownFailure = changed ? null : failure;
  const badge = shownStatus === 'idle' ? null : STATUS_BADGES[shownStatus];
  const problems = useEditor((s) => blockProblems(s, id));
  const pinned = useEditor((s) => s.meta.pins !== undefined && Object.hasOwn(s.meta.pins, id));
  const problemCount = problems === '' ? 0 : problems.split('\n').length;
  return (
    <div
      className={`block block--${blockType} block--${shownStatus}${selected ? ' block--selected' : ''}${problemCount ? ' block--has-problems' : ''}`}
    >
      {problemCount > 0 && (
        <span
          className="block__problems"
          role="img"
          aria-label={`${problemCount} ${problemCount === 1 ? 'problem' : 'problems'}`}
          title={problems}
        >
          ⚠ {problemCount}
        </span>
      )}
      {blockType !== 'start' && <Handle type="target" position={Position.Left} className="block__in" title="In: connect an out here" />}
      {badge && (
        <span className={`block__status block__status--${shownStatus}`} title={badge.label}>
          {badge.glyph}
        </span>
      )}
      {pinned && (
        <span
          className="block__pin"
          role="img"
          aria-label="Output pinned"
          title="Output pinned: it stands in for this block when a later block runs from here"
        >
          <Icon name="pin" size={12} />
        </span>
      )}
      <div
        className="block__head"
        title={`Block id: ${id}${typeof data.ref === 'string' && data.ref ? ` · alias: ${data.ref}` : ''}\n${shortcutLabel(COMMANDS.connectTo.shortcuts[0])}: connect it to another block`}
      >
        <BlockIcon type={blockType} data={data} />
        <span className="block__title">{blockTitle(blockType, data)}</span>
      </div>
      <div className="block__summary" title={summary}>
        {summary || '\u00a0'}
      </div>
      {shownFailure && <BlockErrorBadge error={shownFailure} />}
      <div className="block__outs">
        {manifest.outs.map((out) => (
          <div key={out} className={`block__out block__out--${out}`}>
            <span className="block__out-label">{OUT_LABELS[out]}</span>
            <Handle
              type="source"
              id={out}
              position={Position.Right}
              className={`block__handle block__handle--${out}`}
              title={`Out: ${OUT_LABELS[out]}, drag to a block`}
            />
          </div>
        ))}
      </div>
    </div>
  );
}

export const BlockNode = memo(BlockNodeView);
