/**
 * Runs Debian's `docker-registry` (CNCF distribution 2.8) on 127.0.0.1 for integration tests: a
 * free port, a throwaway storage directory and config, optionally htpasswd basic auth. The
 * package's systemd service is never used.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const DOCKER_REGISTRY_BIN = '/usr/bin/docker-registry';

/** Tests call this and skip (with the reason printed) when the package is not installed. */
export function dockerRegistryAvailable(): boolean {
  if (existsSync(DOCKER_REGISTRY_BIN)) return true;
  console.warn(
    `[registry] skipped: ${DOCKER_REGISTRY_BIN} not found (apt-get install docker-registry; .ci/run installs it)`,
  );
  return false;
}

export interface RunningRegistry {
  /** `127.0.0.1:<port>`, as an image reference names it. */
  host: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** `htpasswd` is the content of an htpasswd file (bcrypt entries), for a registry requiring basic auth. */
export async function startDockerRegistry(options: { htpasswd?: string } = {}): Promise<RunningRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-registry-'));
  const port = await freePort();
  const auth =
    options.htpasswd === undefined
      ? ''
      : `auth:\n  htpasswd:\n    realm: palisade-test\n    path: ${join(dir, 'htpasswd')}\n`;
  if (options.htpasswd !== undefined) await writeFile(join(dir, 'htpasswd'), options.htpasswd);
  await writeFile(
    join(dir, 'config.yml'),
    `version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${join(dir, 'data')}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}
${auth}`,
  );
  const child = spawn(DOCKER_REGISTRY_BIN, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const host = `127.0.0.1:${port}`;
  const stop = async () => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilUp(host, child, () => stderr);
  } catch (err) {
    await stop();
    throw err;
  }
  return { host, stop };
}

async function waitUntilUp(host: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited (${child.exitCode}): ${stderr()}`);
    try {
      const response = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(1000) });
      await response.body?.cancel();
      if (response.status === 200 || response.status === 401) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`docker-registry did not answer on ${host}: ${stderr()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
