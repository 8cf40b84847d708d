/** Where a block added by click goes: the canvas centre, or the nearest spot where it overlaps no block. */
import type { XYPosition } from '@xyflow/react';

/** A block's footprint with a margin, in flow units. */
const FOOTPRINT = { width: 232, height: 110 };

function overlaps(a: XYPosition, b: XYPosition): boolean {
  return Math.abs(a.x - b.x) < FOOTPRINT.width && Math.abs(a.y - b.y) < FOOTPRINT.height;
}

export function freeSpotNear(centre: XYPosition, occupied: readonly XYPosition[]): XYPosition {
  const origin = { x: Math.round(centre.x - 100), y: Math.round(centre.y - 45) };
  // Rings of candidate spots around the centre, nearest first: below, above, right, left…
  for (let ring = 0; ring < 8; ring += 1) {
    const candidates: XYPosition[] = [];
    for (let dy = -ring; dy <= ring; dy += 1) {
      for (let dx = -ring; dx <= ring; dx += 1) {
        if (Math.max(Math.abs(dx), Math.abs(dy)) !== ring) continue;
        candidates.push({ x: origin.x + dx * FOOTPRINT.width, y: origin.y + dy * FOOTPRINT.height });
      }
    }
    candidates.sort((a, b) => Math.hypot(a.x - origin.x, a.y - origin.y) - Math.hypot(b.x - origin.x, b.y - origin.y));
    const free = candidates.find((spot) => !occupied.some((p) => overlaps(spot, p)));
    if (free) return free;
  }
  return origin;
}

/** How far right of a block the next one goes: a block's width and room for the edge. */
const NEXT_BLOCK_GAP_X = 280;

/**
 * Where a block added after `from` goes: to its right, at the same height, or the first spot
 * below that overlaps no block (a second branch from the same block lands under the first).
 */
export function spotRightOf(from: XYPosition, occupied: readonly XYPosition[]): XYPosition {
  const spot = { x: Math.round(from.x + NEXT_BLOCK_GAP_X), y: Math.round(from.y) };
  for (let row = 0; row < 20; row += 1) {
    const candidate = { x: spot.x, y: spot.y + row * FOOTPRINT.height };
    if (!occupied.some((p) => overlaps(candidate, p))) return candidate;
  }
  return spot;
}
