import { useReactFlow } from '@xyflow/react';
import { useEffect } from 'react';
import { editorStore } from '../store';
import { SHORTCUTS, autoLayout, fitViewSmoothly, matchesShortcut, redo, runCurrentBlueprint, undo } from './commands';

function isEditable(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/** The editor's keyboard shortcuts, on the whole window; text fields keep their own keys. */
export function useShortcuts(): void {
  const flow = useReactFlow();
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (matchesShortcut(event, SHORTCUTS.run)) {
        event.preventDefault();
        void runCurrentBlueprint();
        return;
      }
      if (isEditable(event.target) || document.querySelector('[role="dialog"]')) return;
      const editor = editorStore.getState();
      const fitView = () => fitViewSmoothly(flow);
      const handled = (() => {
        if (event.key === 'Delete' || event.key === 'Backspace') return editor.deleteSelection() >= 0;
        if (matchesShortcut(event, SHORTCUTS.redo) || matchesShortcut(event, { key: 'y', mod: true })) return (redo(), true);
        if (matchesShortcut(event, SHORTCUTS.undo)) return (undo(), true);
        if (matchesShortcut(event, SHORTCUTS.copy)) return editor.copy() || true;
        if (matchesShortcut(event, SHORTCUTS.paste)) return editor.paste().length >= 0;
        if (matchesShortcut(event, SHORTCUTS.duplicate)) return editor.duplicate().length >= 0;
        if (matchesShortcut(event, SHORTCUTS.selectAll)) return (editor.selectAll(), true);
        if (event.key === 'Escape') return (editor.selectOnly([]), true);
        if (event.shiftKey && event.code === 'Digit1') return (fitView(), true);
        if (event.shiftKey && !event.ctrlKey && !event.metaKey && event.key.toLowerCase() === 'l') return (void autoLayout(fitView), true);
        return false;
      })();
      if (handled) event.preventDefault();
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [flow]);
}
