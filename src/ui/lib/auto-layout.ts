/**
 * Auto layout with elkjs, aware of ports: each block's outs are ordered ports on its right
 * side (success above error, true above false), so layered layout keeps the happy path on top
 * and edges do not cross their own block.
 */
import type { ELK as ElkApi, ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api';
import type { XYPosition } from '@xyflow/react';
import { outsOf } from '../../engine';
import type { FlowEdge, FlowNode } from '../store/flow-model';

const DEFAULT_SIZE = { width: 200, height: 90 };

// elkjs is large: it loads the first time someone asks for a layout, not with the app.
let elk: ElkApi | null = null;

export async function layoutPositions(nodes: readonly FlowNode[], edges: readonly FlowEdge[]): Promise<Map<string, XYPosition>> {
  if (!elk) {
    const { default: ELK } = await import('elkjs/lib/elk.bundled.js');
    elk = new ELK();
  }
  const graph: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.layered.spacing.nodeNodeBetweenLayers': '90',
      'elk.spacing.nodeNode': '48',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      'elk.layered.crossingMinimization.semiInteractive': 'true',
    },
    children: nodes.map((node) => {
      const width = node.measured?.width ?? DEFAULT_SIZE.width;
      const height = node.measured?.height ?? DEFAULT_SIZE.height;
      const outs = node.type ? outsOf(node.type) : [];
      return {
        id: node.id,
        width,
        height,
        layoutOptions: { 'elk.portConstraints': 'FIXED_ORDER' },
        ports: [
          { id: `${node.id}::in`, width: 8, height: 8, layoutOptions: { 'elk.port.side': 'WEST', 'elk.port.index': String(outs.length) } },
          ...outs.map((out, index) => ({
            id: `${node.id}::${out}`,
            width: 8,
            height: 8,
            // Port indices run clockwise from the top-left corner, so on the east side a lower
            // index is higher up: success (first) stays above error, as the block draws them.
            layoutOptions: { 'elk.port.side': 'EAST', 'elk.port.index': String(index) },
          })),
        ],
      };
    }),
    edges: edges.map((edge): ElkExtendedEdge => ({
      id: edge.id,
      sources: [`${edge.source}::${edge.sourceHandle}`],
      targets: [`${edge.target}::in`],
    })),
  };
  const laidOut = await elk.layout(graph);
  const positions = new Map<string, XYPosition>();
  for (const child of laidOut.children ?? []) positions.set(child.id, { x: child.x ?? 0, y: child.y ?? 0 });
  return positions;
}
