import { describe, expect, it } from 'vitest';
import { COMMAND_LIST, COMMANDS, type CommandState } from './editor-commands';
import { commandForKey, commandTooltip, isEnabled, matchesShortcut, shortcutLabel, type KeyPress } from './registry';

function press(key: string, modifiers: Partial<Omit<KeyPress, 'key'>> = {}): KeyPress {
  return { key, code: '', ctrlKey: false, metaKey: false, shiftKey: false, ...modifiers };
}

const idle: CommandState = {
  canUndo: false,
  canRedo: false,
  running: false,
  storageReady: true,
  storageMessage: null,
  inputProblem: null,
  problemCount: 0,
  selectedBlock: null,
};

describe('shortcut matching', () => {
  it('takes Ctrl or ⌘ as the mod key and compares the key without case', () => {
    expect(matchesShortcut(press('z', { ctrlKey: true }), { key: 'z', mod: true })).toBe(true);
    expect(matchesShortcut(press('Z', { metaKey: true }), { key: 'z', mod: true })).toBe(true);
    expect(matchesShortcut(press('z'), { key: 'z', mod: true })).toBe(false);
  });

  it('needs Shift exactly as the shortcut says', () => {
    expect(matchesShortcut(press('z', { ctrlKey: true, shiftKey: true }), { key: 'z', mod: true })).toBe(false);
    expect(matchesShortcut(press('Z', { ctrlKey: true, shiftKey: true }), { key: 'z', mod: true, shift: true })).toBe(true);
  });

  it('matches by code when the shortcut names one (Shift+1 gives "!")', () => {
    expect(matchesShortcut(press('!', { code: 'Digit1', shiftKey: true }), { key: '1', shift: true, code: 'Digit1' })).toBe(true);
    expect(matchesShortcut(press('1', { code: 'Numpad1', shiftKey: true }), { key: '1', shift: true, code: 'Digit1' })).toBe(false);
  });
});

describe('the editor command list', () => {
  const nameFor = (event: KeyPress) => commandForKey(COMMAND_LIST, event)?.name;

  it('finds the command each documented key runs', () => {
    expect(nameFor(press('Enter', { ctrlKey: true }))).toBe('run');
    expect(nameFor(press('z', { metaKey: true }))).toBe('undo');
    expect(nameFor(press('Z', { ctrlKey: true, shiftKey: true }))).toBe('redo');
    expect(nameFor(press('y', { ctrlKey: true }))).toBe('redo');
    expect(nameFor(press('L', { shiftKey: true }))).toBe('autoLayout');
    expect(nameFor(press('!', { code: 'Digit1', shiftKey: true }))).toBe('fitView');
    expect(nameFor(press('d', { ctrlKey: true }))).toBe('duplicate');
    expect(nameFor(press('Backspace'))).toBe('deleteSelection');
    expect(nameFor(press('c'))).toBe('connectTo');
    expect(nameFor(press('Enter', { ctrlKey: true, shiftKey: true }))).toBe('runFromHere');
    expect(nameFor(press('c', { ctrlKey: true }))).toBe('copy');
    expect(nameFor(press('Delete', { shiftKey: true }))).toBe('deleteSelection');
    expect(nameFor(press('Escape'))).toBe('selectNone');
  });

  it('leaves keys it does not know to the page', () => {
    expect(nameFor(press('z'))).toBeUndefined();
    expect(nameFor(press('l', { ctrlKey: true, shiftKey: true }))).toBeUndefined();
  });

  it('names every command after its key in the table', () => {
    for (const [key, command] of Object.entries(COMMANDS)) expect(command.name).toBe(key);
  });

  it('enables undo, redo, run and stop from the state', () => {
    expect(isEnabled(COMMANDS.undo, idle)).toBe(false);
    expect(isEnabled(COMMANDS.undo, { ...idle, canUndo: true })).toBe(true);
    expect(isEnabled(COMMANDS.redo, { ...idle, canRedo: true })).toBe(true);
    expect(isEnabled(COMMANDS.run, idle)).toBe(true);
    expect(isEnabled(COMMANDS.run, { ...idle, running: true })).toBe(false);
    expect(isEnabled(COMMANDS.run, { ...idle, storageReady: false })).toBe(false);
    expect(isEnabled(COMMANDS.stop, idle)).toBe(false);
    expect(isEnabled(COMMANDS.stop, { ...idle, running: true })).toBe(true);
    expect(isEnabled(COMMANDS.export, idle)).toBe(true);
  });
});

describe('labels and tooltips', () => {
  it('writes Ctrl+… elsewhere and ⌘… on macOS', () => {
    const redo = COMMANDS.redo.shortcuts[0];
    expect(shortcutLabel(redo, 'other')).toBe('Ctrl+Shift+Z');
    expect(shortcutLabel(redo, 'mac')).toBe('⌘⇧Z');
    expect(shortcutLabel(COMMANDS.run.shortcuts[0], 'other')).toBe('Ctrl+Enter');
    expect(shortcutLabel(COMMANDS.run.shortcuts[0], 'mac')).toBe('⌘Enter');
    expect(shortcutLabel(COMMANDS.autoLayout.shortcuts[0], 'mac')).toBe('⇧L');
  });

  it('shows the first shortcut, the description when there is one, and why a command is disabled', () => {
    expect(commandTooltip(COMMANDS.undo, idle, 'other')).toBe('Undo (Ctrl+Z)');
    expect(commandTooltip(COMMANDS.duplicate, idle, 'mac')).toBe('Duplicate (⌘D)');
    expect(commandTooltip(COMMANDS.export, idle, 'other')).toBe('Download this blueprint as a kv-blueprint/1 file');
    expect(commandTooltip(COMMANDS.run, { ...idle, storageReady: false, storageMessage: 'The server refused the token.' }, 'other')).toBe(
      'Run: The server refused the token.',
    );
    // A run in flight disables Run without a reason to tell: the tooltip stays the usual one.
    expect(commandTooltip(COMMANDS.run, { ...idle, running: true }, 'other')).toBe('Run (Ctrl+Enter)');
  });
});

describe('when Run waits', () => {
  it('says why: the input payload first, then the problems, and Run from here needs a block', () => {
    expect(isEnabled(COMMANDS.run, { ...idle, inputProblem: 'Invalid JSON at line 1, column 2' })).toBe(false);
    expect(commandTooltip(COMMANDS.run, { ...idle, inputProblem: 'Invalid JSON at line 1, column 2', problemCount: 2 }, 'other')).toBe(
      'Run: the input payload is not valid JSON (Invalid JSON at line 1, column 2)',
    );
    expect(commandTooltip(COMMANDS.run, { ...idle, problemCount: 1 }, 'other')).toBe(
      'Run: 1 problem in the blocks: fix them first (see the Problems list)',
    );
    expect(isEnabled(COMMANDS.runFromHere, idle)).toBe(false);
    expect(commandTooltip(COMMANDS.runFromHere, idle, 'other')).toBe('Run from here: select the block to start from');
    expect(isEnabled(COMMANDS.runFromHere, { ...idle, selectedBlock: 'save' })).toBe(true);
  });
});
