// Builds the N-API addons of binding.gyp against the running Node's own headers, never
// downloading them: --nodedir is the prefix of the node binary (it holds include/node).
// build/Release/vxlan_native.node is the VTEP's (native/src); vxlan_lab.node is the
// namespace lab's (native/lab: veth offload switches), loaded only by lab/native.ts.
// The packet code of native/src/tap/tap_offload.cc is also built on its own with
// sanitizers, with the programs of native/test (test/native/tap-offload.test.ts).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

// node-gyp's own error for a missing compiler runs to pages; one line names the packages
// (on Debian the package of each tool has the tool's name).
const missing = ['g++', 'make', 'python3'].filter((tool) => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', tool]).status !== 0);
if (missing.length > 0) {
  process.stderr.write(`vxlan-tap: building the native addon needs ${missing.join(', ')}: apt-get install ${missing.join(' ')}\n`);
  process.exit(1);
}

const nodedir = path.dirname(path.dirname(process.execPath));
const require = createRequire(import.meta.url);
const gyp = require.resolve('node-gyp/bin/node-gyp.js');
const result = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
