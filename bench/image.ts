/**
 * Image benchmark: `palisade sbom oci:DIR` (a whole CLI process, under GNU time) on a synthetic
 * image built here — PALISADE_BENCH_IMAGE_MB uncompressed (default 512), spread over five gzip
 * layers of many files: text and binary data, extensionless "executables", installed npm and
 * Python packages, a dpkg status database and a few lockfiles, plus files deleted by whiteouts in
 * a later layer. Next to it, the floor the issue sets: `tar -xzOf <layer> > /dev/null` over the
 * same layers (decompress and walk every byte, nothing else). Targets: within 1.5x of that floor
 * and peak RSS under 300 MB. Trivy and Syft are not installable here (no npm or Debian package),
 * so there is no peer column.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import { corpus, fmt, measure, medianOf, palisadeCli, printTable, saveResults, type Measurement } from './lib.ts';

const RUNS = Number(process.env.PALISADE_BENCH_RUNS ?? 3);
const TARGET_MB = Number(process.env.PALISADE_BENCH_IMAGE_MB ?? 512);
const LAYERS = 5;
const work = mkdtempSync(join(tmpdir(), 'palisade-bench-image-'));
const layout = join(work, 'oci');

interface FileSpec {
  name: string;
  data: Buffer;
}

/** Deterministic PRNG (mulberry32): the same image every run. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(42);
const WORDS = 'the quick brown fox jumps over lazy dog package module import export function return const value error'.split(' ');

/** Compressible text (source files, docs), roughly `size` bytes. */
function text(size: number): Buffer {
  const parts: string[] = [];
  let length = 0;
  while (length < size) {
    const word = WORDS[Math.floor(random() * WORDS.length)]!;
    parts.push(word);
    length += word.length + 1;
  }
  return Buffer.from(parts.join(' '));
}

/** Half-compressible binary data (executables, shared objects). */
function binary(size: number): Buffer {
  const half = randomBytes(Math.ceil(size / 2));
  return Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), half, Buffer.alloc(Math.max(0, size - half.length - 4))]);
}

function lockfiles(): FileSpec[] {
  const large = join(corpus, 'lockfiles-large');
  const pick = (dir: string, file: string, as: string): FileSpec[] =>
    existsSync(join(large, dir, file)) ? [{ name: as, data: readFileSync(join(large, dir, file)) }] : [];
  const found = [
    ...pick('npm-kyverno-website', 'package-lock.json', 'srv/web/package-lock.json'),
    ...pick('poetry-black', 'poetry.lock', 'srv/api/poetry.lock'),
    ...pick('cargo-ripgrep', 'Cargo.lock', 'srv/tool/Cargo.lock'),
  ];
  if (found.length > 0) return found;
  return [{ name: 'srv/web/package-lock.json', data: Buffer.from(JSON.stringify({ lockfileVersion: 3, packages: { 'node_modules/left-pad': { version: '1.3.0' } } })) }];
}

/** The files of layer `index`: ~TARGET_MB / LAYERS of mixed content. */
function layerFiles(index: number): FileSpec[] {
  const budget = (TARGET_MB * 1024 * 1024) / LAYERS;
  const files: FileSpec[] = [];
  let used = 0;
  const add = (name: string, data: Buffer) => {
    files.push({ name, data });
    used += data.length;
  };
  if (index === 0) {
    const status = existsSync('/var/lib/dpkg/status') ? readFileSync('/var/lib/dpkg/status') : Buffer.from('Package: base-files\nStatus: install ok installed\nVersion: 12.4\n');
    add('var/lib/dpkg/status', status);
    add('usr/lib/os-release', Buffer.from('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n'));
    for (let i = 0; i < 2000; i++) add(`tmp/cache/file${i}.txt`, text(2000)); // deleted by layer 1's whiteout
  }
  if (index === 1) {
    for (const l of lockfiles()) add(l.name, l.data);
    for (let i = 0; i < 1500; i++) {
      add(`srv/web/node_modules/pkg-${i}/package.json`, Buffer.from(JSON.stringify({ name: `pkg-${i}`, version: `1.${i % 50}.0`, license: 'MIT' })));
      add(`srv/web/node_modules/pkg-${i}/index.js`, text(3000));
    }
  }
  if (index === 2) {
    for (let i = 0; i < 300; i++) {
      add(`usr/lib/python3/dist-packages/mod${i}-1.0.${i}.dist-info/METADATA`, Buffer.from(`Metadata-Version: 2.1\nName: mod${i}\nVersion: 1.0.${i}\n`));
      add(`usr/lib/python3/dist-packages/mod${i}/__init__.py`, text(4000));
    }
  }
  // The bulk: binaries (extensionless, so the Go binary cataloger looks at each), libraries, docs.
  for (let i = 0; used < budget; i++) {
    const kind = i % 10;
    if (kind === 0) add(`usr/bin/tool-${index}-${i}`, binary(256 * 1024 + Math.floor(random() * 2 * 1024 * 1024)));
    else if (kind < 4) add(`usr/lib/lib${index}-${i}.so`, binary(64 * 1024 + Math.floor(random() * 256 * 1024)));
    else add(`usr/share/doc/pkg${index}-${i}/README.txt`, text(4000 + Math.floor(random() * 40000)));
  }
  return files;
}

function hashing(hash: ReturnType<typeof createHash>): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
}

/** Writes one gzip layer blob into the layout; returns its digests and sizes. */
async function writeLayer(index: number): Promise<{ digest: string; diffId: string; size: number; raw: number }> {
  const pack = tar.pack();
  const blobHash = createHash('sha256');
  const diffHash = createHash('sha256');
  const temp = join(layout, `layer-${index}.tmp`);
  let raw = 0;
  let size = 0;
  const counting = (add: (n: number) => void) =>
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        add(chunk.length);
        callback(null, chunk);
      },
    });
  const written = pipeline(
    Readable.from(pack),
    hashing(diffHash),
    counting((n) => (raw += n)),
    createGzip(),
    hashing(blobHash),
    counting((n) => (size += n)),
    createWriteStream(temp),
  );
  if (index === 1) pack.entry({ name: 'tmp/cache/.wh..wh..opq' }, '');
  for (const file of layerFiles(index)) {
    await new Promise<void>((resolve, reject) => pack.entry({ name: file.name, size: file.data.length }, file.data, (err) => (err ? reject(err) : resolve())));
  }
  pack.finalize();
  await written;
  const digest = `sha256:${blobHash.digest('hex')}`;
  renameSync(temp, join(layout, 'blobs/sha256', digest.slice(7)));
  return { digest, diffId: `sha256:${diffHash.digest('hex')}`, size, raw };
}

function writeBlob(bytes: Buffer): { digest: string; size: number } {
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  writeFileSync(join(layout, 'blobs/sha256', digest.slice(7)), bytes);
  return { digest, size: bytes.length };
}

async function buildImage(): Promise<{ layers: Awaited<ReturnType<typeof writeLayer>>[]; ms: number }> {
  const start = performance.now();
  mkdirSync(join(layout, 'blobs/sha256'), { recursive: true });
  const layers = [];
  for (let i = 0; i < LAYERS; i++) layers.push(await writeLayer(i));
  const config = writeBlob(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
        history: layers.map((_, i) => ({ created_by: `RUN step ${i}` })),
      }),
    ),
  );
  const manifest = writeBlob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.size })),
      }),
    ),
  );
  writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(
    join(layout, 'index.json'),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'bench' } }] }),
  );
  return { layers, ms: performance.now() - start };
}

process.stdout.write(`building a ${TARGET_MB} MB synthetic image in ${layout} …\n`);
const built = await buildImage();
const rawMb = built.layers.reduce((n, l) => n + l.raw, 0) / 1024 / 1024;
const storedMb = built.layers.reduce((n, l) => n + l.size, 0) / 1024 / 1024;
process.stdout.write(`built in ${fmt(built.ms / 1000, 1)} s: ${fmt(rawMb)} MB uncompressed, ${fmt(storedMb)} MB gzip, ${LAYERS} layers\n`);

const blobs = built.layers.map((l) => join(layout, 'blobs/sha256', l.digest.slice(7)));
const floor = medianOf(RUNS, () => measure('/bin/sh', ['-c', blobs.map((b) => `tar -xzOf ${b} > /dev/null`).join(' && ')]));
const output = join(work, 'sbom.json');
const ours: Measurement = medianOf(RUNS, () =>
  measure(process.execPath, [palisadeCli(), '-q', 'sbom', `oci:${layout}:bench`, '-f', 'json', '-o', output]),
);
if (!ours.ok) process.stdout.write(`palisade failed:\n${ours.stderr}\n`);
const report = ours.ok ? (JSON.parse(readFileSync(output, 'utf8')) as { packages: unknown[]; complete: boolean }) : undefined;
const ratio = ours.wallMs / floor.wallMs;

printTable(
  `image sbom: ${fmt(rawMb)} MB uncompressed in ${LAYERS} gzip layers (median of ${RUNS} runs, whole process)`,
  ['command', 'wall ms', 'peak RSS MB', 'packages', 'vs floor'],
  [
    ['tar -xzOf (floor)', fmt(floor.wallMs), fmt(floor.peakRssMb), '', '1.0x'],
    ['palisade sbom', ours.ok ? fmt(ours.wallMs) : 'FAILED', fmt(ours.peakRssMb), report ? fmt(report.packages.length) : '', `${fmt(ratio, 2)}x`],
  ],
);
process.stdout.write(`targets: within 1.5x of the floor (${ratio <= 1.5 ? 'met' : 'missed'}), peak RSS < 300 MB (${ours.peakRssMb < 300 ? 'met' : 'missed'})\n`);
saveResults('image', {
  runs: RUNS,
  image: { uncompressedMb: rawMb, storedMb, layers: LAYERS, buildMs: built.ms },
  floor: { ...floor, stderr: undefined },
  palisade: { ...ours, stderr: undefined, packages: report?.packages.length, complete: report?.complete },
  ratio,
  peers: 'Trivy and Syft are not installable on this machine (no npm or Debian package); not measured',
});
if (process.env.PALISADE_BENCH_KEEP === "1") process.stdout.write(`kept ${layout}\n`);
else rmSync(work, { recursive: true, force: true });
