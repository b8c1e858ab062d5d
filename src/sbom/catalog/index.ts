/**
 * The registry of catalogers, as plain data: the order is the order files are tried in.
 * Add a cataloger here and to docs/catalogers.md.
 */
import type { Cataloger } from './cataloger.ts';

export const ALL_CATALOGERS: readonly Cataloger[] = [];

export function catalogerByName(name: string): Cataloger | undefined {
  return ALL_CATALOGERS.find((c) => c.name === name);
}
