import { useState } from 'react';
import type { Entry } from '../../kv/types';
import { useSaveKey, type ScopeAddress } from '../api/keys';
import { toast } from '../store';
import { checkDraft, detectedType, draftTextOf, keyProblem, ttlProblem, valueProblem, type StoreAs } from './value-draft';

/**
 * Adds a key (no `entry`) or edits one. A new key is stored as JSON when the text is JSON and
 * as text otherwise (`detect`), unless the person picks a type; an optional time to live.
 */
export function KeyEditor({ address, entry, onDone }: { address: ScopeAddress; entry?: Entry; onDone(savedKey: string | null): void }) {
  const [key, setKey] = useState(entry?.key ?? '');
  const [storeAs, setStoreAs] = useState<StoreAs>(entry?.valueType ?? 'detect');
  const [text, setText] = useState(entry ? draftTextOf(entry.value, entry.valueType) : '');
  const [ttl, setTtl] = useState('');
  const save = useSaveKey();
  const keyIssue = entry ? null : key === '' ? null : keyProblem(key);
  const valueIssue = valueProblem(storeAs, text);
  const ttlIssue = ttlProblem(ttl);

  const submit = () => {
    const check = checkDraft(key, storeAs, text, ttl);
    if (!check.ok) {
      toast('error', check.message);
      return;
    }
    save.mutate(
      { ...address, key, value: check.value, valueType: check.valueType, ttlSeconds: check.ttlSeconds },
      {
        onSuccess: () => {
          toast('success', `Saved ${key}.`);
          onDone(key);
        },
        onError: (error) => toast('error', `Could not save ${key}: ${error.message}`),
      },
    );
  };

  return (
    <form
      className="key-editor"
      aria-label={entry ? `Edit ${entry.key}` : 'Add key'}
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
      onKeyDown={(e) => {
        // Esc leaves the form as Cancel does, like the editor's dialogs.
        if (e.key !== 'Escape') return;
        e.preventDefault();
        e.stopPropagation();
        onDone(null);
      }}
    >
      <div className="section-title">
        {entry ? (
          <>
            Edit <code>{entry.key}</code>
          </>
        ) : (
          'Add key'
        )}
      </div>
      {!entry && (
        <div className="field">
          <label className="field__label" htmlFor="new-key">
            New key
          </label>
          <input
            id="new-key"
            className={`field__control${keyIssue ? ' field__control--invalid' : ''}`}
            value={key}
            onChange={(e) => setKey(e.target.value)}
            placeholder="e.g. user_profile"
            autoFocus
            aria-invalid={keyIssue ? true : undefined}
          />
          {keyIssue && (
            <div className="field__problem" role="alert">
              {keyIssue}
            </div>
          )}
        </div>
      )}
      <div className="field">
        <label className="field__label" htmlFor="key-value-type">
          Stored as
        </label>
        <select id="key-value-type" className="field__control" value={storeAs} onChange={(e) => setStoreAs(e.target.value as StoreAs)}>
          {!entry && <option value="detect">detect (JSON if it parses, else text)</option>}
          <option value="json">json</option>
          <option value="text">text</option>
        </select>
      </div>
      <div className="field">
        <label className="field__label" htmlFor="key-value">
          Stored value
        </label>
        <textarea
          id="key-value"
          className={`field__control field__control--multiline field__control--code${valueIssue ? ' field__control--invalid' : ''}`}
          rows={5}
          spellCheck={false}
          value={text}
          onChange={(e) => setText(e.target.value)}
          aria-invalid={valueIssue ? true : undefined}
        />
        {valueIssue && (
          <div className="field__problem" role="alert">
            {valueIssue}
          </div>
        )}
        {storeAs === 'detect' && text !== '' && (
          <div className="field__help muted">Will be stored as {detectedType(text) === 'json' ? 'JSON' : 'text'}.</div>
        )}
      </div>
      {!entry && (
        <div className="field">
          <label className="field__label" htmlFor="key-ttl">
            Expires after (seconds)
          </label>
          <input
            id="key-ttl"
            className={`field__control${ttlIssue ? ' field__control--invalid' : ''}`}
            inputMode="decimal"
            value={ttl}
            onChange={(e) => setTtl(e.target.value)}
            placeholder="never"
            aria-invalid={ttlIssue ? true : undefined}
          />
          {ttlIssue && (
            <div className="field__problem" role="alert">
              {ttlIssue}
            </div>
          )}
        </div>
      )}
      <div className="inline-actions">
        <button
          type="submit"
          className="btn btn--primary"
          disabled={save.isPending || Boolean(keyIssue) || Boolean(valueIssue) || Boolean(ttlIssue) || key === ''}
        >
          Save key
        </button>
        <button type="button" className="btn" onClick={() => onDone(null)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
