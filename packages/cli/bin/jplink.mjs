#!/usr/bin/env node
// Runs the TypeScript entry point through tsx (see docs/decisions/0001-run-typescript-with-tsx.md).
import { register } from 'tsx/esm/api';
register();
await import('../src/main.ts');
