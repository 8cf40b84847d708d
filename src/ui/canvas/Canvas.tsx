import {
  Background,
  BackgroundVariant,
  Controls,
  MiniMap,
  Panel,
  ReactFlow,
  useReactFlow,
  type FinalConnectionState,
  type NodeTypes,
  type EdgeTypes,
} from '@xyflow/react';
import { useCallback, useMemo, type DragEvent } from 'react';
import { appearanceOf, BLOCK_TYPES, isBlockType, PALETTE } from '../../engine';
import { connectStore, editorStore, toast, useEditor, useRun } from '../store';
import type { FlowEdge, FlowNode } from '../store/flow-model';
import { COMMANDS } from '../commands/editor-commands';
import { shortcutLabel } from '../commands/registry';
import { BlockNode } from './BlockNode';
import { BlueprintEdgeView } from './BlueprintEdgeView';
import { ProblemsPanel } from './ProblemsPanel';
import { BlockPicker } from './BlockPicker';
import { ConnectDialog } from './ConnectDialog';
import { withRunStatus } from './node-status';
import { FIT_VIEW_OPTIONS, PALETTE_DRAG_TYPE } from '../lib/view-options';

// Every block type renders through BlockNode, from its manifest.
const nodeTypes: NodeTypes = Object.fromEntries(BLOCK_TYPES.map((type) => [type, BlockNode]));
const edgeTypes: EdgeTypes = { default: BlueprintEdgeView };

/** The block's icon colour, so the minimap reads like the canvas. */
function minimapColor(node: FlowNode): string {
  return isBlockType(node.type) ? appearanceOf(node.type, node.data).color : '#94a3b8';
}
const MINIMAP_SIZE = { width: 176, height: 116 };
// After a run the minimap outlines blocks by their status, like the canvas borders.
const MINIMAP_STATUS_STROKES: Record<string, string> = { running: '#f59e0b', success: '#16a34a', error: '#dc2626' };

function minimapStroke(node: FlowNode): string {
  const status = (node.domAttributes as Record<string, string> | undefined)?.['data-status'] ?? 'idle';
  return MINIMAP_STATUS_STROKES[status] ?? '#ffffff';
}

/** Shown while the blueprint is no more than its Start block: how to build one. */
function EmptyCanvasHint() {
  return (
    <Panel position="top-center" className="canvas-hint">
      <div className="canvas-hint__title">Build your blueprint</div>
      <ol className="canvas-hint__steps">
        <li>
          Drag a block from <strong>Blocks</strong> onto the canvas, or click it to add it here.
        </li>
        <li>
          Select a block, then click the next one in <strong>Blocks</strong>: it is added after it, connected.
        </li>
        <li>
          Or drag from an out on a block’s right (<span className="canvas-hint__out canvas-hint__out--success">success</span>,{' '}
          <span className="canvas-hint__out canvas-hint__out--error">error</span>) onto another block, or onto empty canvas to pick the next
          block there.
        </li>
        <li>
          Press <kbd>{shortcutLabel(COMMANDS.run.shortcuts[0])}</kbd> or <strong>Run</strong> to try it.
        </li>
      </ol>
    </Panel>
  );
}

/** Half a block, so a dropped block lands centred under the pointer. */
const DROP_OFFSET = { x: 100, y: 40 };

export function Canvas() {
  const nodes = useEditor((s) => s.nodes);
  const edges = useEditor((s) => s.edges);
  const onNodesChange = useEditor((s) => s.onNodesChange);
  const onEdgesChange = useEditor((s) => s.onEdgesChange);
  const connect = useEditor((s) => s.connect);
  const addBlock = useEditor((s) => s.addBlock);
  const statuses = useRun((s) => s.view.nodeStatus);
  const ranWith = useRun((s) => s.ranWith);
  const shownNodes = useMemo(() => withRunStatus(nodes, statuses, ranWith), [nodes, statuses, ranWith]);
  const flow = useReactFlow();
  const onlyStart = nodes.every((n) => n.type === 'start');

  const onConnect = useCallback(
    (connection: Parameters<typeof connect>[0]) => {
      const check = connect(connection);
      if (!check.ok) toast('error', check.message);
    },
    [connect],
  );

  // React Flow connects only a drop on the input dot. A drop anywhere else on a block connects
  // to that block (or says why not); a drop on empty canvas opens the block picker there.
  const onConnectEnd = useCallback(
    (event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      if (state.isValid || !state.fromNode || !state.fromHandle || state.fromHandle.type !== 'source') return;
      const point = 'changedTouches' in event ? event.changedTouches[0] : event;
      if (!point) return;
      const under = document.elementFromPoint(point.clientX, point.clientY);
      const from = { source: state.fromNode.id, sourceHandle: state.fromHandle.id ?? '' };
      const targetId = under?.closest('.react-flow__node')?.getAttribute('data-id');
      if (targetId) {
        // A release on the block the drag began on is a slip, not a loop (the input dot makes one).
        if (targetId === from.source) return;
        const check = connect({ ...from, target: targetId, targetHandle: null });
        if (!check.ok) toast('error', check.message);
        return;
      }
      if (under?.closest('.react-flow__pane')) {
        const screen = { x: point.clientX, y: point.clientY };
        connectStore.getState().openPicker({ screen, flow: flow.screenToFlowPosition(screen), ...from });
      }
    },
    [connect, flow],
  );

  const onDragOver = useCallback((event: DragEvent) => {
    if (!event.dataTransfer.types.includes(PALETTE_DRAG_TYPE)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  }, []);

  const onDrop = useCallback(
    (event: DragEvent) => {
      const label = event.dataTransfer.getData(PALETTE_DRAG_TYPE);
      const entry = PALETTE.find((p) => p.label === label);
      if (!entry) return;
      event.preventDefault();
      const point = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      if (entry.type === 'start' && editorStore.getState().nodes.some((n) => n.type === 'start')) {
        toast('error', 'A blueprint has one Start block.');
        return;
      }
      addBlock(entry, { x: point.x - DROP_OFFSET.x, y: point.y - DROP_OFFSET.y });
    },
    [addBlock, flow],
  );

  return (
    <main className="canvas" aria-label="Canvas" onDragOver={onDragOver} onDrop={onDrop}>
      <ReactFlow<FlowNode, FlowEdge>
        nodes={shownNodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        deleteKeyCode={null}
        multiSelectionKeyCode={['Meta', 'Control', 'Shift']}
        selectionKeyCode="Shift"
        fitView
        fitViewOptions={FIT_VIEW_OPTIONS}
        minZoom={0.2}
        maxZoom={2}
        proOptions={{ hideAttribution: true }}
        snapToGrid
        snapGrid={[8, 8]}
      >
        <Background variant={BackgroundVariant.Dots} gap={20} size={1.4} color="#cfd6e0" />
        <MiniMap<FlowNode>
          pannable
          zoomable
          ariaLabel="Minimap"
          style={MINIMAP_SIZE}
          nodeColor={minimapColor}
          nodeStrokeColor={minimapStroke}
          nodeStrokeWidth={6}
          nodeBorderRadius={6}
          maskColor="rgba(226, 232, 240, 0.55)"
          maskStrokeColor="#94a3b8"
          maskStrokeWidth={1}
        />
        <Controls showInteractive={false} position="bottom-left" fitViewOptions={FIT_VIEW_OPTIONS} />
        {onlyStart && <EmptyCanvasHint />}
        <ProblemsPanel />
      </ReactFlow>
      <BlockPicker />
      <ConnectDialog />
    </main>
  );
}
