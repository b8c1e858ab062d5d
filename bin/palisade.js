#!/usr/bin/env node
// Published entry point: runs the compiled CLI from dist/ (built by `npm run build`).
// In a checkout, `npm run palisade -- <args>` runs the TypeScript sources directly on Node 24.
import module from 'node:module';

// Compiled code is cached on disk between runs (Node's compile cache): start-up is most of a
// pre-commit hook's time.
module.enableCompileCache?.();
const { runCli } = await import('../dist/cli/main.js');
await runCli();
