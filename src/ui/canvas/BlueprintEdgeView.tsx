import { BaseEdge, getBezierPath, type EdgeProps } from '@xyflow/react';
import { memo } from 'react';
import { useRun } from '../store';
import type { FlowEdge } from '../store/flow-model';

/** An edge coloured by the out it leaves; highlighted when the last run took it. */
function BlueprintEdgeViewInner(props: EdgeProps<FlowEdge>) {
  const { id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, sourceHandleId, selected, markerEnd } = props;
  const taken = useRun((s) => s.view.edgesTaken[id] === true);
  const [path] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  const className = `edge edge--${sourceHandleId ?? 'success'}${taken ? ' edge--taken' : ''}${selected ? ' edge--selected' : ''}`;
  return <BaseEdge id={id} path={path} className={className} markerEnd={markerEnd} interactionWidth={16} />;
}

export const BlueprintEdgeView = memo(BlueprintEdgeViewInner);
