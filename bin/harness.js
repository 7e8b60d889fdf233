#!/usr/bin/env node
// The CLI is TypeScript run through tsx's loader, so `npx harness` works on a fresh clone
// without a build step.
import { register } from 'tsx/esm/api';

register();
await import('../scripts/cli.ts');
