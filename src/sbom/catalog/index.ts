/**
 * The registry of catalogers, as plain data: the order is the order files are tried in.
 * Add a cataloger here and to docs/catalogers.md.
 */
import type { Cataloger } from './cataloger.ts';
import { podfileLockCataloger } from './cocoapods/podfile-lock.ts';
import { conanLockCataloger } from './cpp/conan-lock.ts';
import { pubspecLockCataloger } from './dart/pubspec-lock.ts';
import { depsJsonCataloger } from './dotnet/deps-json.ts';
import { packagesConfigCataloger } from './dotnet/packages-config.ts';
import { packagesLockCataloger } from './dotnet/packages-lock.ts';
import { mixLockCataloger } from './elixir/mix-lock.ts';
import { goBinaryCataloger } from './go/binary.ts';
import { goModCataloger } from './go/go-mod.ts';
import { cabalFreezeCataloger } from './haskell/cabal-freeze.ts';
import { stackLockCataloger } from './haskell/stack-lock.ts';
import { archiveCataloger } from './java/archive.ts';
import { gradleLockfileCataloger } from './java/gradle-lockfile.ts';
import { gradleVerificationMetadataCataloger } from './java/gradle-verification-metadata.ts';
import { pomCataloger } from './java/pom.ts';
import { bunLockbCataloger, bunLockCataloger } from './javascript/bun-lock.ts';
import { installedPackageCataloger } from './javascript/installed.ts';
import { packageLockCataloger } from './javascript/package-lock.ts';
import { pnpmLockCataloger } from './javascript/pnpm-lock.ts';
import { yarnLockCataloger } from './javascript/yarn-lock.ts';
import { apkCataloger } from './os/apk.ts';
import { dpkgCataloger } from './os/dpkg.ts';
import { rpmCataloger } from './os/rpm.ts';
import { composerLockCataloger } from './php/composer-lock.ts';
import { installedJsonCataloger } from './php/installed-json.ts';
import { pythonInstalledCataloger } from './python/installed.ts';
import { pdmLockCataloger } from './python/pdm-lock.ts';
import { pipfileLockCataloger } from './python/pipfile-lock.ts';
import { poetryLockCataloger } from './python/poetry-lock.ts';
import { pylockCataloger } from './python/pylock.ts';
import { requirementsCataloger } from './python/requirements.ts';
import { uvLockCataloger } from './python/uv-lock.ts';
import { renvLockCataloger } from './r/renv-lock.ts';
import { gemfileLockCataloger } from './ruby/gemfile-lock.ts';
import { gemspecCataloger } from './ruby/gemspec.ts';
import { cargoLockCataloger } from './rust/cargo-lock.ts';
import { packageResolvedCataloger } from './swift/package-resolved.ts';

export const ALL_CATALOGERS: readonly Cataloger[] = [
  podfileLockCataloger,
  conanLockCataloger,
  pubspecLockCataloger,
  depsJsonCataloger,
  packagesConfigCataloger,
  packagesLockCataloger,
  mixLockCataloger,
  goBinaryCataloger,
  goModCataloger,
  cabalFreezeCataloger,
  stackLockCataloger,
  archiveCataloger,
  gradleLockfileCataloger,
  gradleVerificationMetadataCataloger,
  pomCataloger,
  bunLockCataloger,
  bunLockbCataloger,
  installedPackageCataloger,
  packageLockCataloger,
  pnpmLockCataloger,
  yarnLockCataloger,
  apkCataloger,
  dpkgCataloger,
  rpmCataloger,
  composerLockCataloger,
  installedJsonCataloger,
  pythonInstalledCataloger,
  pdmLockCataloger,
  pipfileLockCataloger,
  poetryLockCataloger,
  pylockCataloger,
  requirementsCataloger,
  uvLockCataloger,
  renvLockCataloger,
  gemfileLockCataloger,
  gemspecCataloger,
  cargoLockCataloger,
  packageResolvedCataloger,
];

export function catalogerByName(name: string): Cataloger | undefined {
  return ALL_CATALOGERS.find((c) => c.name === name);
}
