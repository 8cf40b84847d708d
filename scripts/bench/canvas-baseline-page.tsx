/**
 * The canvas benchmark's baseline (see `canvas-browser.ts`): plain React Flow, default nodes and
 * edges, nothing of ours. It mounts empty, like the editor before an import, and
 * `window.loadCanvasBench` hands it the graph, as an import hands the editor a document.
 */
import { ReactFlow, useEdgesState, useNodesState, type Edge, type Node, type ReactFlowInstance } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useEffect, useRef } from 'react';
import { createRoot } from 'react-dom/client';

export interface BaselineGraph {
  nodes: Array<{ id: string; position: { x: number; y: number }; label: string }>;
  edges: Array<{ id: string; source: string; target: string }>;
}

declare global {
  interface Window {
    loadCanvasBench?: (graph: BaselineGraph) => void;
  }
}

function Baseline() {
  const [nodes, setNodes, onNodesChange] = useNodesState<Node>([]);
  const [edges, setEdges, onEdgesChange] = useEdgesState<Edge>([]);
  const flow = useRef<ReactFlowInstance | null>(null);
  useEffect(() => {
    window.loadCanvasBench = (graph) => {
      setNodes(graph.nodes.map((n) => ({ id: n.id, position: n.position, data: { label: n.label } })));
      setEdges(graph.edges);
      // As the editor does after an import.
      requestAnimationFrame(() => void flow.current?.fitView({ padding: '28px', maxZoom: 1, duration: 200 }));
    };
  }, [setNodes, setEdges]);
  return (
    <div style={{ width: '100vw', height: '100vh' }}>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        fitView
        minZoom={0.2}
        onInit={(instance) => (flow.current = instance)}
      />
    </div>
  );
}

document.body.style.margin = '0';
const root = document.createElement('div');
document.body.append(root);
createRoot(root).render(<Baseline />);
