import { BaseEdge, getBezierPath, type EdgeProps } from '@xyflow/react';
import { memo } from 'react';
import { useRun } from '../store';
import type { FlowEdge } from '../store/flow-model';

/** How far under its ends a self-loop passes: below the block's lowest out and its error badge. */
const SELF_LOOP_DROP = 70;

/**
 * A block's edge into itself, as a loop under the block from its out to its input. A bezier
 * between the two would run behind the block and be all but invisible.
 */
export function selfLoopPath(sx: number, sy: number, tx: number, ty: number): string {
  const bottom = Math.max(sy, ty) + SELF_LOOP_DROP;
  return `M ${sx} ${sy} C ${sx + 60} ${sy}, ${sx + 60} ${bottom}, ${sx} ${bottom} L ${tx} ${bottom} C ${tx - 60} ${bottom}, ${tx - 60} ${ty}, ${tx} ${ty}`;
}

/**
 * An edge coloured by the out it leaves. While a run is shown, the edges it took are
 * highlighted and the others fade, so the path the run followed reads at a glance.
 */
function BlueprintEdgeViewInner(props: EdgeProps<FlowEdge>) {
  const { id, source, target, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, sourceHandleId, selected, markerEnd } =
    props;
  const taken = useRun((s) => s.view.edgesTaken[id] === true);
  const runShown = useRun((s) => s.view.status !== 'idle');
  const path =
    source === target
      ? selfLoopPath(sourceX, sourceY, targetX, targetY)
      : getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition })[0];
  const runClass = taken ? ' edge--taken' : runShown ? ' edge--not-taken' : '';
  const className = `edge edge--${sourceHandleId ?? 'success'}${runClass}${selected ? ' edge--selected' : ''}`;
  return <BaseEdge id={id} path={path} className={className} markerEnd={markerEnd} interactionWidth={18} />;
}

export const BlueprintEdgeView = memo(BlueprintEdgeViewInner);
