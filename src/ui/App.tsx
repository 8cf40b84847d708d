import { lazy, Suspense } from 'react';
import { ReactFlowProvider } from '@xyflow/react';
import { Canvas } from './canvas/Canvas';
import { Palette } from './palette/Palette';
import { RunPanel } from './run-panel/RunPanel';
import { Toolbar } from './shell/Toolbar';
import { useShortcuts } from './shell/useShortcuts';
import { Toaster } from './atoms/Toaster';
import { useEditor, useRunDock, useSidePanels } from './store';
import { DockResizer } from './run-panel/DockResizer';
import { sideGridRows } from './store/side-panels-store';

// The Inspector and the Stored keys panel load after the first paint (see detail-panels.tsx);
// two empty panels hold their rows of the side column meanwhile.
const DetailPanels = lazy(() => import('./detail-panels'));
const panelsLoading = (
  <>
    <section className="panel" aria-busy="true" />
    <section className="panel" aria-busy="true" />
  </>
);

function Workspace() {
  useShortcuts();
  // Remounting the canvas per blueprint makes React Flow fit the new graph into view.
  const blueprintId = useEditor((s) => s.meta.id);
  const runDocked = useRunDock((s) => s.docked);
  const dockHeight = useRunDock((s) => s.height);
  const sideRows = useSidePanels((s) => sideGridRows(s.collapsed, runDocked ? ['run'] : []));
  const runFolded = useSidePanels((s) => s.collapsed.run);
  return (
    <div className="app">
      <Toolbar />
      <div className="workspace">
        <Palette />
        {runDocked ? (
          // The Run panel docked under the canvas, as tall as the bar above it says.
          <div
            className="centre"
            style={{ gridTemplateRows: runFolded ? 'minmax(0, 1fr) auto auto' : `minmax(0, 1fr) auto ${dockHeight}px` }}
          >
            <Canvas key={blueprintId} />
            <DockResizer />
            <RunPanel docked />
          </div>
        ) : (
          <Canvas key={blueprintId} />
        )}
        <aside className="side" aria-label="Details" style={{ gridTemplateRows: sideRows }}>
          <Suspense fallback={panelsLoading}>
            <DetailPanels />
          </Suspense>
          {!runDocked && <RunPanel />}
        </aside>
      </div>
      <Toaster />
    </div>
  );
}

export function App() {
  return (
    <ReactFlowProvider>
      <Workspace />
    </ReactFlowProvider>
  );
}
