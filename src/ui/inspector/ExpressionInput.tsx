import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { activeCall, suggestCompletions, type CompletionItem, type CompletionSources } from '../../engine/completions';
import { SignatureHint } from './SignatureHint';
import { placeCompletions, type CompletionPlacement } from './completion-placement';
import { isTypingPlaceholder } from './unfinished-placeholder';

export interface ExpressionInputProps {
  id: string;
  value: string;
  onChange(value: string): void;
  /** What `@{` can complete to; called only when a suggestion is looked up. */
  sources(): CompletionSources;
  multiline?: boolean;
  placeholder?: string | undefined;
  invalid?: boolean;
  describedBy?: string | undefined;
  /** Told whether the caret sits at the end of an unclosed `@{` (see isTypingPlaceholder). */
  onTypingPlaceholderChange?(typing: boolean): void;
}

interface Popup {
  from: number;
  cursor: number;
  items: CompletionItem[];
  placement: CompletionPlacement;
}

/** A text field with `@{` autocomplete: ↑/↓ to choose, Enter or Tab to insert, Esc to close. */
export function ExpressionInput({
  id,
  value,
  onChange,
  sources,
  multiline = false,
  placeholder,
  invalid = false,
  describedBy,
  onTypingPlaceholderChange,
}: ExpressionInputProps) {
  const field = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const [popup, setPopup] = useState<Popup | null>(null);
  const [active, setActive] = useState(0);
  /** The caret while the field has focus, for the signature hint; null when it has not. */
  const [caret, setCaret] = useState<number | null>(null);
  const call = caret === null ? null : activeCall(value.slice(0, caret));
  const listId = `${id}-completions`;

  const refresh = (text: string, cursor: number | null) => {
    if (cursor === null) return setPopup(null);
    const completions = suggestCompletions(text.slice(0, cursor), sources());
    if (completions.items.length === 0 || !field.current) return setPopup(null);
    const placement = placeCompletions(field.current.getBoundingClientRect(), globalThis.innerHeight);
    setPopup({ from: completions.from, cursor, items: completions.items, placement });
    setActive(0);
  };

  const accept = (item: CompletionItem) => {
    if (!popup) return;
    const after = value.slice(popup.cursor);
    const closing = after.startsWith('}') ? '' : '}';
    const next = `${value.slice(0, popup.from)}${item.insert}${closing}${after}`;
    const caret = popup.from + item.insert.length;
    onChange(next);
    setPopup(null);
    requestAnimationFrame(() => {
      field.current?.setSelectionRange(caret, caret);
      refresh(next, caret);
    });
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (!popup) return;
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      setActive((a) => (a + 1) % popup.items.length);
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      setActive((a) => (a - 1 + popup.items.length) % popup.items.length);
    } else if (event.key === 'Enter' || event.key === 'Tab') {
      const item = popup.items[active];
      if (item) {
        event.preventDefault();
        accept(item);
      }
    } else if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      setPopup(null);
    }
  };

  const common = {
    id,
    ref: field,
    value,
    placeholder,
    spellCheck: false,
    autoComplete: 'off',
    'aria-invalid': invalid || undefined,
    'aria-describedby': describedBy,
    'aria-autocomplete': 'list' as const,
    'aria-controls': popup ? listId : undefined,
    'aria-expanded': popup !== null,
    'aria-activedescendant': popup ? `${listId}-${active}` : undefined,
    role: 'combobox',
    className: `field__control${multiline ? ' field__control--multiline' : ''}${invalid ? ' field__control--invalid' : ''}`,
    onChange: (e: { target: { value: string; selectionStart: number | null } }) => {
      onChange(e.target.value);
      refresh(e.target.value, e.target.selectionStart);
      onTypingPlaceholderChange?.(isTypingPlaceholder(e.target.value, e.target.selectionStart));
    },
    onKeyDown,
    onClick: () => refresh(value, field.current?.selectionStart ?? null),
    // Fires for typing and for caret moves alike, with the field's current text.
    onSelect: (e: { currentTarget: { value: string; selectionStart: number | null } }) => {
      setCaret(e.currentTarget.selectionStart);
      onTypingPlaceholderChange?.(isTypingPlaceholder(e.currentTarget.value, e.currentTarget.selectionStart));
    },
    onBlur: () => {
      setPopup(null);
      setCaret(null);
      onTypingPlaceholderChange?.(false);
    },
  };

  // The list is fixed to the window, so it would float away when the Inspector scrolls: close it.
  const open = popup !== null;
  useEffect(() => {
    if (!open) return;
    const close = (event: Event) => {
      if (!(event.target instanceof Node) || !event.target.contains(field.current)) return;
      setPopup(null);
    };
    const closeAlways = () => setPopup(null);
    globalThis.addEventListener('scroll', close, true);
    globalThis.addEventListener('resize', closeAlways);
    return () => {
      globalThis.removeEventListener('scroll', close, true);
      globalThis.removeEventListener('resize', closeAlways);
    };
  }, [open]);

  const visibleItems = useMemo(() => popup?.items.slice(0, 60) ?? [], [popup]);

  return (
    <div className="expression-input">
      {multiline ? <textarea rows={4} {...common} /> : <input type="text" {...common} />}
      {call && <SignatureHint fn={call.fn} argIndex={call.argIndex} />}
      {popup && (
        <ul className="completions" id={listId} role="listbox" aria-label="Suggestions" style={popup.placement}>
          {visibleItems.map((item, index) => (
            <li
              key={`${item.label}-${index}`}
              id={`${listId}-${index}`}
              role="option"
              aria-selected={index === active}
              className={`completions__item${index === active ? ' completions__item--active' : ''}`}
              onMouseDown={(e) => {
                e.preventDefault();
                accept(item);
              }}
              onMouseEnter={() => setActive(index)}
            >
              <span className="completions__label">{item.label}</span>
              {item.detail && <span className="completions__detail">{item.detail}</span>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
