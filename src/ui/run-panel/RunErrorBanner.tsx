import type { RunError } from '../../engine/types';
import { ErrorHelp } from '../atoms/ErrorHelp';

/**
 * Why the shown run failed, at the top of the Run panel: the run's error (a step limit, an
 * invalid document, an error no edge took) with the block it is pinned to, which a click selects.
 * A cancelled run says so too; a run that succeeded shows nothing.
 */
export function RunErrorBanner({
  error,
  blockTitle,
  onSelectBlock,
}: {
  error: RunError;
  blockTitle: string | null;
  onSelectBlock(nodeId: string): void;
}) {
  return (
    <div className="run-error" role="alert" aria-label="Run error">
      <div className="run-error__head">
        <code className="run-error__code">{error.code}</code>
        {error.nodeId && (
          <button
            type="button"
            className="run-error__block"
            onClick={() => onSelectBlock(error.nodeId!)}
            title="Select this block on the canvas"
          >
            at {blockTitle ?? error.nodeId}
          </button>
        )}
      </div>
      <div className="run-error__message">{error.message}</div>
      <ErrorHelp code={error.code} />
    </div>
  );
}
