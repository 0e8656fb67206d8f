#!/usr/bin/env node
// podlab's executable: registers the pinned TypeScript loader (tsx) and runs the CLI from source.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
