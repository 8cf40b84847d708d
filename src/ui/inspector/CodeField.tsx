/**
 * The Code block's source field. CodeMirror loads on first use (a dynamic import); until it
 * arrives, a plain text area holds the source, so typing never waits for the download.
 */
import { lazy, Suspense } from 'react';

export interface CodeFieldProps {
  id: string;
  /** The id of the field's label, which names the editor for assistive technology. */
  labelId: string;
  value: string;
  onChange(value: string): void;
  describedBy?: string | undefined;
}

const CodeMirrorField = lazy(() => import('./CodeMirrorField'));

export function CodeField(props: CodeFieldProps) {
  const fallback = (
    <textarea
      id={props.id}
      className="field__control field__control--multiline"
      rows={8}
      spellCheck={false}
      value={props.value}
      onChange={(event) => props.onChange(event.target.value)}
      aria-describedby={props.describedBy}
    />
  );
  return (
    <Suspense fallback={fallback}>
      <CodeMirrorField {...props} />
    </Suspense>
  );
}
