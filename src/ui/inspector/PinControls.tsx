import { Icon } from '../atoms/Icon';
import { JsonTree } from '../atoms/JsonTree';
import { CommandButton } from '../commands/CommandButton';
import { useEditor, useRun } from '../store';

/**
 * Pinning a block's output from the shown run, and "Run from here": the pins (kept with the
 * blueprint) stand in for the blocks before the one a run starts from.
 */
export function PinControls({ nodeId }: { nodeId: string }) {
  const step = useRun((s) => s.view.lastStep[nodeId]);
  const pinned = useEditor((s) => s.meta.pins?.[nodeId]);
  const setPin = useEditor((s) => s.setPin);
  const canPin = step !== undefined && step.error === null;
  return (
    <div className="pin-controls" aria-label="Pinned output" role="group">
      <div className="section-title">Pinned output {pinned !== undefined && <span className="badge badge--pin">pinned</span>}</div>
      {pinned !== undefined ? (
        <>
          <JsonTree value={pinned} openDepth={1} />
          <div className="inline-actions">
            <button type="button" className="btn" onClick={() => setPin(nodeId, undefined)}>
              Unpin
            </button>
            {canPin && JSON.stringify(step.result) !== JSON.stringify(pinned) && (
              <button type="button" className="btn" onClick={() => setPin(nodeId, step.result)}>
                Pin the last run’s output instead
              </button>
            )}
          </div>
        </>
      ) : (
        <div className="inline-actions">
          <button
            type="button"
            className="btn"
            disabled={!canPin}
            onClick={() => canPin && setPin(nodeId, step.result)}
            title={
              canPin
                ? 'Keep this output with the blueprint: it stands in for this block when a later block runs from here'
                : 'Run the blueprint first: a block that succeeded can have its output pinned'
            }
          >
            <Icon name="pin" /> Pin this output
          </button>
        </div>
      )}
      <div className="inline-actions">
        <CommandButton name="runFromHere" />
      </div>
    </div>
  );
}
