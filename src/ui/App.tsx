import { ReactFlowProvider } from '@xyflow/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { Canvas } from './canvas/Canvas';
import { Inspector } from './inspector/Inspector';
import { KeysPanel } from './keys-panel/KeysPanel';
import { Palette } from './palette/Palette';
import { RunPanel } from './run-panel/RunPanel';
import { Toolbar } from './shell/Toolbar';
import { useShortcuts } from './shell/useShortcuts';
import { Toaster } from './atoms/Toaster';
import { useEditor, useSidePanels } from './store';
import { sideGridRows } from './store/side-panels-store';

const queryClient = new QueryClient({
  defaultOptions: { queries: { staleTime: 30_000, refetchOnWindowFocus: false, retry: 1 } },
});

function Workspace() {
  useShortcuts();
  // Remounting the canvas per blueprint makes React Flow fit the new graph into view.
  const blueprintId = useEditor((s) => s.meta.id);
  const sideRows = useSidePanels((s) => sideGridRows(s.collapsed));
  return (
    <div className="app">
      <Toolbar />
      <div className="workspace">
        <Palette />
        <Canvas key={blueprintId} />
        <aside className="side" aria-label="Details" style={{ gridTemplateRows: sideRows }}>
          <Inspector />
          <KeysPanel />
          <RunPanel />
        </aside>
      </div>
      <Toaster />
    </div>
  );
}

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <ReactFlowProvider>
        <Workspace />
      </ReactFlowProvider>
    </QueryClientProvider>
  );
}
