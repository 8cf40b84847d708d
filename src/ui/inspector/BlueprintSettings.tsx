import { settingsOf } from '../../engine';
import type { KvConflict } from '../../engine/types';
import { useEditor } from '../store';

/** What the inspector shows with nothing selected: the blueprint's own settings. */
export function BlueprintSettings() {
  const meta = useEditor((s) => s.meta);
  const updateMeta = useEditor((s) => s.updateMeta);
  const settings = settingsOf(meta);
  const setSettings = (patch: Partial<typeof settings>) => updateMeta({ settings: { ...settings, ...patch } });
  return (
    <div className="blueprint-settings">
      <div className="empty-state empty-state--compact">
        <div className="empty-state__title">No block selected</div>
        <div className="muted">Click a block to edit it. Shift-drag to select several.</div>
      </div>
      <div className="section-title">Blueprint settings</div>
      <div className="field">
        <label className="field__label" htmlFor="bp-id">
          Id
        </label>
        <input id="bp-id" className="field__control" value={meta.id} readOnly title="The flow scope of stored keys" />
      </div>
      <div className="field">
        <label className="field__label" htmlFor="bp-group">
          Flow group
        </label>
        <input
          id="bp-group"
          className="field__control"
          value={meta.groupId ?? ''}
          placeholder="none"
          onChange={(e) => updateMeta({ groupId: e.target.value.trim() || undefined })}
        />
        <div className="field__help">Blueprints in one group share the flow_group scope.</div>
      </div>
      <div className="field field--inline">
        <input
          id="bp-inherit"
          type="checkbox"
          checked={settings.kvInherit}
          onChange={(e) => setSettings({ kvInherit: e.target.checked })}
        />
        <label htmlFor="bp-inherit">Reads inherit from parent scopes</label>
      </div>
      <div className="field">
        <label className="field__label" htmlFor="bp-conflict">
          When a key is in several scopes
        </label>
        <select
          id="bp-conflict"
          className="field__control"
          value={settings.kvConflict}
          onChange={(e) => setSettings({ kvConflict: e.target.value as KvConflict })}
          disabled={!settings.kvInherit}
        >
          <option value="child">child: the most specific wins</option>
          <option value="parent">parent: the least specific wins</option>
          <option value="merge">merge JSON objects</option>
        </select>
      </div>
      <div className="field">
        <label className="field__label" htmlFor="bp-max-steps">
          Max steps
        </label>
        <input
          id="bp-max-steps"
          className="field__control"
          type="number"
          min={1}
          value={settings.maxSteps}
          onChange={(e) => setSettings({ maxSteps: Math.max(1, Number(e.target.value) || 1) })}
        />
      </div>
    </div>
  );
}
