/**
 * The registry of catalogers, as plain data: the order is the order files are tried in.
 * Add a cataloger here and to docs/catalogers.md.
 */
import type { Cataloger } from './cataloger.ts';
import { goBinaryCataloger } from './go/binary.ts';
import { goModCataloger } from './go/go-mod.ts';
import { composerLockCataloger } from './php/composer-lock.ts';
import { installedJsonCataloger } from './php/installed-json.ts';
import { gemfileLockCataloger } from './ruby/gemfile-lock.ts';
import { gemspecCataloger } from './ruby/gemspec.ts';
import { cargoLockCataloger } from './rust/cargo-lock.ts';

export const ALL_CATALOGERS: readonly Cataloger[] = [
  goBinaryCataloger,
  goModCataloger,
  composerLockCataloger,
  installedJsonCataloger,
  gemfileLockCataloger,
  gemspecCataloger,
  cargoLockCataloger,
];

export function catalogerByName(name: string): Cataloger | undefined {
  return ALL_CATALOGERS.find((c) => c.name === name);
}
