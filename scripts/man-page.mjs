// Writes the man page, dist/man/vxlan-tap.1, from the compiled command tree (run after tsc:
// by `npm run build`, `prepare` at `npm pack`, and `pretest`).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const { buildProgram, packageVersion } = await import(path.join(root, 'dist/src/cli/program.js'));
const { manPage } = await import(path.join(root, 'dist/src/cli/man-page.js'));
const out = path.join(root, 'dist/man/vxlan-tap.1');
mkdirSync(path.dirname(out), { recursive: true });
writeFileSync(out, manPage(buildProgram(), packageVersion()));
