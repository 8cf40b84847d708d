import { BaseEdge, getBezierPath, type EdgeProps } from '@xyflow/react';
import { memo } from 'react';
import { useRun } from '../store';
import type { FlowEdge } from '../store/flow-model';

/**
 * An edge coloured by the out it leaves. While a run is shown, the edges it took are
 * highlighted and the others fade, so the path the run followed reads at a glance.
 */
function BlueprintEdgeViewInner(props: EdgeProps<FlowEdge>) {
  const { id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, sourceHandleId, selected, markerEnd } = props;
  const taken = useRun((s) => s.view.edgesTaken[id] === true);
  const runShown = useRun((s) => s.view.status !== 'idle');
  const [path] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  const runClass = taken ? ' edge--taken' : runShown ? ' edge--not-taken' : '';
  const className = `edge edge--${sourceHandleId ?? 'success'}${runClass}${selected ? ' edge--selected' : ''}`;
  return <BaseEdge id={id} path={path} className={className} markerEnd={markerEnd} interactionWidth={18} />;
}

export const BlueprintEdgeView = memo(BlueprintEdgeViewInner);
