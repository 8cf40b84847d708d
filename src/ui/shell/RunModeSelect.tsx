import { RUN_MODE_LABELS, type RunMode } from '../store/run-mode-store';
import { useCurrentRunMode, useEditor, useRunMode } from '../store';

const HINTS: Record<RunMode, string> = {
  test: 'Test run: reads the stored keys, writes nothing to them; the Run panel lists the changes to apply or discard',
  live: 'Live run: writes to the stored keys',
};

/** Beside Run: Test run (sandbox) or Live run, remembered per blueprint. */
export function RunModeSelect() {
  const mode = useCurrentRunMode();
  const blueprintId = useEditor((s) => s.meta.id);
  const setMode = useRunMode((s) => s.setMode);
  return (
    <select
      className={`run-mode run-mode--${mode}`}
      aria-label="Run mode"
      value={mode}
      title={HINTS[mode]}
      onChange={(e) => setMode(blueprintId, e.target.value as RunMode)}
    >
      {(Object.keys(RUN_MODE_LABELS) as RunMode[]).map((choice) => (
        <option key={choice} value={choice}>
          {RUN_MODE_LABELS[choice]}
        </option>
      ))}
    </select>
  );
}
