import { useEffect, useState } from 'react';
import { describeJsonProblem, findJsonSyntaxError } from '../../kv/json';
import type { JsonValue } from '../../engine/types';

/** Where a JSON text fails to parse, as a person reads it; null when it parses. */
export function jsonProblem(text: string): string | null {
  if (text.trim() === '') return 'Enter a JSON value, e.g. {}';
  const syntax = findJsonSyntaxError(text);
  if (!syntax) return null;
  return describeJsonProblem(text, syntax);
}

/**
 * A JSON value edited as text. The text is kept while it does not parse (so typing is never
 * interrupted); each text that parses is handed on as a value.
 */
export function JsonField({
  id,
  value,
  onChange,
  rows = 5,
}: {
  id: string;
  value: JsonValue | undefined;
  onChange(value: JsonValue): void;
  rows?: number;
}) {
  const [text, setText] = useState(() => JSON.stringify(value ?? {}, null, 2));
  // Follow outside changes (undo, another block selected) unless they match what is typed.
  useEffect(() => {
    setText((current) => {
      try {
        if (JSON.stringify(JSON.parse(current)) === JSON.stringify(value ?? {})) return current;
      } catch {
        // The typed text does not parse: the outside value wins.
      }
      return JSON.stringify(value ?? {}, null, 2);
    });
  }, [value]);
  const problem = jsonProblem(text);
  return (
    <>
      <textarea
        id={id}
        className={`field__control field__control--multiline field__control--code${problem ? ' field__control--invalid' : ''}`}
        rows={rows}
        spellCheck={false}
        value={text}
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? `${id}-problem` : undefined}
        onChange={(e) => {
          setText(e.target.value);
          if (!jsonProblem(e.target.value)) onChange(JSON.parse(e.target.value) as JsonValue);
        }}
      />
      {problem && (
        <div id={`${id}-problem`} className="field__problem" role="alert">
          {problem}
        </div>
      )}
    </>
  );
}
