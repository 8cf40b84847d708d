import type { RunError } from '../../engine/types';
import { errorTooltip } from '../atoms/ErrorHelp';

/**
 * A failed block's error on the canvas: a one-line badge with the code that hangs on the
 * block's lower edge, so the block keeps its size and never grows over its neighbours. The
 * message shows on hover (and in the tooltip, with the code's help); the Inspector has it all.
 */
export function BlockErrorBadge({ error }: { error: RunError }) {
  return (
    <div className="block__error" role="alert" title={errorTooltip(error)}>
      <strong className="block__error-code">{error.code}</strong>
      <span className="block__error-message">{error.message}</span>
    </div>
  );
}
