/** ResourceWatcher's retries: the wait between attempts ends with close(), leaving no timer behind. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ResourceWatcher } from '../../src/admission/kube-watch.ts';
import type { StructuredLog } from '../../src/admission/log.ts';

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('ResourceWatcher', () => {
  it('retries a failing API with backoff, and close() ends the wait at once', async () => {
    let requests = 0;
    const api = createServer((_req, res) => {
      requests++;
      res.writeHead(500).end('down');
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const warnings: string[] = [];
    const log: StructuredLog = { write: (level, message) => void (level === 'warn' && warnings.push(message)) } as StructuredLog;
    const { port } = api.address() as AddressInfo;
    const watcher = new ResourceWatcher({ connection: { server: `http://127.0.0.1:${port}`, options: async () => ({}) }, path: '/api/v1/namespaces', kind: 'Namespace', apiVersion: 'v1', log, backoffMs: 60_000 });
    try {
      const before = timers();
      void watcher.start();
      await expect.poll(() => warnings.length).toBe(1);
      // Waiting a minute before the next attempt.
      expect(timers()).toBe(before + 1);
      watcher.close();
      await expect.poll(() => timers()).toBe(before);
      expect(requests).toBe(1);
    } finally {
      watcher.close();
      await new Promise((resolve) => api.close(resolve));
    }
  });
});
