// Runs a TypeScript entry point through tsx's ESM loader, so the published
// CLIs need no build step.
import { register } from 'tsx/esm/api';

register();
export const run = (rel) => import(new URL(rel, import.meta.url).href);
