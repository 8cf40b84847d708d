/**
 * CodeMirror 6 with JavaScript highlighting and line numbers, for the Code block's source.
 * Imported only through `CodeField`'s lazy import, so the editor's initial bundle stays small.
 */
import { useEffect, useRef } from 'react';
import { basicSetup, EditorView } from 'codemirror';
import { javascript } from '@codemirror/lang-javascript';
import { EditorState } from '@codemirror/state';
import { keymap } from '@codemirror/view';
import { indentWithTab } from '@codemirror/commands';
import type { CodeFieldProps } from './CodeField';

const theme = EditorView.theme({
  '&': { fontSize: '12px', border: '1px solid var(--border)', borderRadius: '6px', backgroundColor: '#fff' },
  '&.cm-focused': { outline: '2px solid var(--focus, #6366f1)', outlineOffset: '-1px' },
  '.cm-scroller': { fontFamily: 'var(--mono)', lineHeight: '1.5', minHeight: '160px', maxHeight: '420px' },
  '.cm-gutters': { backgroundColor: '#f8fafc', color: '#94a3b8', borderRight: '1px solid #e2e8f0', borderRadius: '6px 0 0 6px' },
});

export default function CodeMirrorField({ id, labelId, value, onChange, describedBy }: CodeFieldProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  // The latest onChange, so the listener made once at mount never calls a stale one.
  const changed = useRef(onChange);
  changed.current = onChange;

  useEffect(() => {
    if (!host.current) return;
    const editor = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: value,
        extensions: [
          basicSetup,
          keymap.of([indentWithTab]),
          javascript(),
          theme,
          EditorView.contentAttributes.of({ id, 'aria-labelledby': labelId, ...(describedBy ? { 'aria-describedby': describedBy } : {}) }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) changed.current(update.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = null;
    };
    // Made once per field (so `value` and `describedBy` are left out); later values arrive
    // through the effect below.
  }, [id, labelId]);

  // Undo, another tab or a template replaced the source: show it without losing the editor.
  useEffect(() => {
    const editor = view.current;
    if (!editor) return;
    const current = editor.state.doc.toString();
    if (current !== value) editor.dispatch({ changes: { from: 0, to: current.length, insert: value } });
  }, [value]);

  return <div ref={host} className="code-field" data-testid="code-editor" />;
}
