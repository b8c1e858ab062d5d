#!/usr/bin/env node
// Published entry point: runs the compiled CLI from dist/ (built by `npm run build`).
// In a checkout, `npm run palisade -- <args>` runs the TypeScript sources directly on Node 24.
import('../dist/cli/main.js');
