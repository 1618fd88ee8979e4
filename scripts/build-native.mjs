// Builds the N-API addon against the running Node's own headers, never downloading them:
// --nodedir is the prefix of the node binary (it holds include/node).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const nodedir = path.dirname(path.dirname(process.execPath));
const require = createRequire(import.meta.url);
const gyp = require.resolve('node-gyp/bin/node-gyp.js');
const result = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
