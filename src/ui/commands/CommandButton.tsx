import { useReactFlow } from '@xyflow/react';
import { useShallow } from 'zustand/react/shallow';
import { useStorage } from '../api/storage';
import { Icon } from '../atoms/Icon';
import { useEditor, useProblems, useRun, useRunInput } from '../store';
import { draftProblem } from '../store/run-input-store';
import { COMMANDS, singleSelection, type CommandName, type CommandState } from './editor-commands';
import { commandTooltip, isEnabled } from './registry';

/** The command state, re-rendering only when a part of it changes. */
export function useCommandState(): CommandState {
  const history = useEditor(useShallow((s) => ({ canUndo: s.history.past.length > 0, canRedo: s.history.future.length > 0 })));
  const running = useRun((s) => s.view.status === 'running');
  const storage = useStorage(useShallow((s) => ({ storageReady: s.status === 'ready', storageMessage: s.message })));
  const inputProblem = useRunInput(draftProblem);
  const problemCount = useProblems().length;
  const selectedBlock = useEditor((s) => singleSelection(s.nodes));
  return { ...history, running, ...storage, inputProblem, problemCount, selectedBlock };
}

/**
 * A button that runs a registered command: its accessible name is the command's label, its
 * tooltip names the shortcut, and it is disabled whenever the command is.
 */
export function CommandButton({ name, className = 'btn' }: { name: CommandName; className?: string }) {
  const command = COMMANDS[name];
  const state = useCommandState();
  const flow = useReactFlow();
  return (
    <button
      type="button"
      className={className}
      onClick={() => command.perform({ flow })}
      disabled={!isEnabled(command, state)}
      title={commandTooltip(command, state)}
      aria-label={command.label}
    >
      {'icon' in command && <Icon name={command.icon} />}
      {!('iconOnly' in command) && (
        <>
          {'icon' in command ? ' ' : ''}
          <span className="btn__label">{command.label}</span>
        </>
      )}
    </button>
  );
}
