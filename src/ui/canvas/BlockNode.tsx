import { Handle, Position, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { manifestOf } from '../../engine';
import type { BlockType, Out } from '../../engine/types';
import { BlockIcon } from '../atoms/BlockIcon';
import type { FlowNode } from '../store/flow-model';
import { useRun } from '../store';
import { blockTitle } from './block-title';

const OUT_LABELS: Record<Out, string> = { success: 'success', error: 'error', true: 'true', false: 'false' };

/** Every block type renders through this one component, from its manifest. */
function BlockNodeView({ id, type, data, selected }: NodeProps<FlowNode>) {
  const blockType = type as BlockType;
  const manifest = manifestOf(blockType);
  const status = useRun((s) => s.view.nodeStatus[id] ?? 'idle');
  const failure = useRun((s) => (s.view.nodeStatus[id] === 'error' ? s.view.lastStep[id]?.error ?? null : null));
  const summary = manifest.summary(data as never);
  return (
    <div className={`block block--${blockType} block--${status}${selected ? ' block--selected' : ''}`}>
      {blockType !== 'start' && <Handle type="target" position={Position.Left} className="block__in" />}
      <div className="block__head" title={`Block id: ${id}${typeof data.ref === 'string' && data.ref ? ` · alias: ${data.ref}` : ''}`}>
        <BlockIcon type={blockType} action={typeof data.action === 'string' ? data.action : undefined} />
        <span className="block__title">{blockTitle(blockType, data)}</span>
      </div>
      <div className="block__summary" title={summary}>{summary || '\u00a0'}</div>
      {failure && (
        <div className="block__error" role="alert" title={failure.message}>
          <strong>{failure.code}</strong> {failure.message}
        </div>
      )}
      <div className="block__outs">
        {manifest.outs.map((out) => (
          <div key={out} className={`block__out block__out--${out}`}>
            <span>{OUT_LABELS[out]}</span>
            <Handle type="source" id={out} position={Position.Right} className={`block__handle block__handle--${out}`} />
          </div>
        ))}
      </div>
    </div>
  );
}

export const BlockNode = memo(BlockNodeView);
