import { useReactFlow } from '@xyflow/react';
import { useEffect } from 'react';
import { COMMAND_LIST, commandStateNow } from '../commands/editor-commands';
import { commandForKey, isEnabled } from '../commands/registry';
import { toast } from '../store';

function isEditable(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/**
 * The editor's keyboard shortcuts, on the whole window, from the command list; text fields
 * and open dialogs keep their own keys except for commands marked `inTextFields` (Run).
 */
export function useShortcuts(): void {
  const flow = useReactFlow();
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      const command = commandForKey(COMMAND_LIST, event);
      if (!command) return;
      const inField = isEditable(event.target) || document.querySelector('[role="dialog"]') !== null;
      if (inField && !command.inTextFields) return;
      event.preventDefault();
      const state = commandStateNow();
      if (isEnabled(command, state)) command.perform({ flow });
      else {
        const reason = command.disabledReason?.(state);
        if (reason) toast('error', reason);
      }
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [flow]);
}
