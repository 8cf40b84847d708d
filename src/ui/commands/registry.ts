/**
 * Commands as registered objects (as Excalidraw registers its actions): a name, a label, the
 * keys that run it, when it is enabled, and what it does. The toolbar, the keyboard handler
 * and every tooltip read the same object, so a button and its shortcut cannot drift apart.
 * This file is the plain-TypeScript part: matching keys and writing shortcut labels.
 */

/** A key combination. `mod` is Ctrl, or ⌘ on macOS (either is accepted on every platform). */
export interface Shortcut {
  /** `KeyboardEvent.key`, compared without case (`z`, `Enter`, `Delete`). */
  key: string;
  mod?: boolean;
  shift?: boolean;
  /**
   * `KeyboardEvent.code` to match instead of `key`, for keys whose `key` changes with Shift
   * (Shift+1 gives `!` on a US layout, `Digit1` on every layout).
   */
  code?: string;
}

export type Platform = 'mac' | 'other';

/** The platform the page runs on, for labels; tests pass one explicitly. */
export function currentPlatform(): Platform {
  return typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform) ? 'mac' : 'other';
}

/** `Ctrl+Shift+Z` elsewhere, `⌘⇧Z` on macOS. */
export function shortcutLabel(shortcut: Shortcut, platform: Platform = currentPlatform()): string {
  const mac = platform === 'mac';
  const parts: string[] = [];
  if (shortcut.mod) parts.push(mac ? '⌘' : 'Ctrl');
  if (shortcut.shift) parts.push(mac ? '⇧' : 'Shift');
  parts.push(shortcut.key.length === 1 ? shortcut.key.toUpperCase() : shortcut.key);
  return parts.join(mac ? '' : '+');
}

/** The parts of a keyboard event a shortcut looks at (so tests need no DOM). */
export type KeyPress = Pick<KeyboardEvent, 'key' | 'code' | 'ctrlKey' | 'metaKey' | 'shiftKey'>;

export function matchesShortcut(event: KeyPress, shortcut: Shortcut): boolean {
  const mod = event.ctrlKey || event.metaKey;
  const key = shortcut.code ? event.code === shortcut.code : event.key.toLowerCase() === shortcut.key.toLowerCase();
  return key && mod === Boolean(shortcut.mod) && event.shiftKey === Boolean(shortcut.shift);
}

export interface Command<State, Context> {
  /** Stable id (`undo`, `autoLayout`). */
  readonly name: string;
  /** What a person sees and a screen reader says: the button's accessible name ("Auto layout"). */
  readonly label: string;
  /** A longer tooltip than the label, when the label alone does not say enough. */
  readonly description?: string;
  /** The keys that run it; the first is the one tooltips show. */
  readonly shortcuts?: readonly Shortcut[];
  /** Overrides `shortcuts` for matching, for keys taken with any modifier (Delete, Escape). */
  readonly keyTest?: (event: KeyPress) => boolean;
  /** Whether it also runs while the focus is in a text field or a dialog is open (Run). */
  readonly inTextFields?: boolean;
  /** Whether it can run now; a disabled command's button is disabled and its keys do nothing. */
  readonly enabled?: (state: State) => boolean;
  /** Why it cannot run now, when that is worth telling: the tooltip, and a toast for its keys. */
  readonly disabledReason?: (state: State) => string | undefined;
  perform(context: Context): void;
}

export function isEnabled<State, Context>(command: Command<State, Context>, state: State): boolean {
  return command.enabled?.(state) ?? true;
}

export function matchesCommand<State, Context>(command: Command<State, Context>, event: KeyPress): boolean {
  if (command.keyTest) return command.keyTest(event);
  return (command.shortcuts ?? []).some((shortcut) => matchesShortcut(event, shortcut));
}

/** The first command whose keys match the event, or undefined. */
export function commandForKey<State, Context>(
  commands: readonly Command<State, Context>[],
  event: KeyPress,
): Command<State, Context> | undefined {
  return commands.find((command) => matchesCommand(command, event));
}

/** The tooltip of a command's button: `Undo (Ctrl+Z)`, or why it is disabled. */
export function commandTooltip<State, Context>(
  command: Command<State, Context>,
  state: State,
  platform: Platform = currentPlatform(),
): string {
  const reason = isEnabled(command, state) ? undefined : command.disabledReason?.(state);
  if (reason) return `${command.label}: ${reason}`;
  const text = command.description ?? command.label;
  const shortcut = command.shortcuts?.[0];
  return shortcut ? `${text} (${shortcutLabel(shortcut, platform)})` : text;
}
