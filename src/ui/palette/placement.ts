/** Where a block added by click goes: the canvas centre, nudged until it overlaps no block. */
import type { XYPosition } from '@xyflow/react';

const NUDGE = 32;
const BLOCK = { width: 220, height: 90 };

export function freeSpotNear(centre: XYPosition, occupied: readonly XYPosition[]): XYPosition {
  let spot = { x: Math.round(centre.x - BLOCK.width / 2), y: Math.round(centre.y - BLOCK.height / 2) };
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const clash = occupied.some((p) => Math.abs(p.x - spot.x) < NUDGE && Math.abs(p.y - spot.y) < NUDGE);
    if (!clash) return spot;
    spot = { x: spot.x + NUDGE, y: spot.y + NUDGE };
  }
  return spot;
}
