import { useState, type FormEvent } from 'react';
import { reconnectStorage, useStorage } from '../api/storage';
import { readServerToken, saveServerToken } from '../api/server-backend';

const TITLES = {
  unreachable: 'Server unreachable',
  unauthorized: 'The server needs an API token',
  refused: 'The server refused the editor',
  failed: 'Storage unavailable',
} as const;

/** Why the keys cannot be shown, and what to do: enter a token, or retry now. */
export function StorageProblemNotice() {
  const problem = useStorage((s) => s.problem) ?? 'failed';
  const message = useStorage((s) => s.message);
  const [token, setToken] = useState('');

  const useToken = (event: FormEvent) => {
    event.preventDefault();
    saveServerToken(token);
    setToken('');
    void reconnectStorage();
  };

  return (
    <div className="empty-state" role="alert">
      <div className="empty-state__title">{TITLES[problem]}</div>
      <div className="muted">{message}</div>
      {problem === 'unauthorized' ? (
        <form className="field--inline" onSubmit={useToken}>
          <input
            type="password"
            aria-label="API token"
            placeholder="API token"
            autoComplete="off"
            value={token}
            onChange={(e) => setToken(e.target.value)}
          />
          <button type="submit" className="btn btn--primary" disabled={token.trim() === ''}>
            Use token
          </button>
          {readServerToken() && (
            <button
              type="button"
              className="btn"
              onClick={() => {
                saveServerToken(null);
                void reconnectStorage();
              }}
            >
              Forget token
            </button>
          )}
        </form>
      ) : (
        <button type="button" className="btn" onClick={() => void reconnectStorage()}>
          Retry now
        </button>
      )}
    </div>
  );
}
