import { useEffect, useState } from 'react';
import type { ExpressionContext } from '../../engine/expressions';
import type { ValueType } from '../../engine/types';
import { formatPreview, previewField, type Preview } from './preview';

export interface FieldPreviewProps {
  fieldId: string;
  label: string;
  text: string;
  valueType: ValueType;
  /** The context the field is evaluated in; built on first use. */
  context(): ExpressionContext;
  /** Whether the context comes from a run (else from the sample input and stored keys). */
  fromRun: boolean;
}

/** The line under an expression field: what it evaluates to now, or why it would fail. */
export function FieldPreview({ fieldId, label, text, valueType, context, fromRun }: FieldPreviewProps) {
  const [preview, setPreview] = useState<Preview>({ kind: 'none' });
  useEffect(() => {
    let current = true;
    void previewField(text, valueType, context()).then((next) => {
      if (current) setPreview(next);
    });
    return () => {
      current = false;
    };
  }, [text, valueType, context]);

  if (preview.kind === 'none') return null;
  const source = fromRun ? 'with the last run' : 'with the sample input';
  return (
    <output
      htmlFor={fieldId}
      className={`field__preview field__preview--${preview.kind}`}
      aria-label={`Preview of ${label}`}
      title={`What this field gives ${source}`}
    >
      <span className="field__preview-arrow" aria-hidden="true">
        {preview.kind === 'error' ? '✕' : '→'}
      </span>
      <span className="field__preview-text">{preview.kind === 'value' ? formatPreview(preview.value) : preview.message}</span>
      <span className="field__preview-source">{source}</span>
    </output>
  );
}
