// `npm run setup`, the README's first command: everything a fresh Debian machine needs,
// then the demo. It installs the npm packages and builds (npm install), installs the
// Debian packages the demo and the tests need that are missing (apt-get, as root), and
// runs `vxlan-tap demo`. Without root, what is missing is named in one line instead.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** Runs a command in the package root with its output shown; stops setup if it fails. */
function step(command, args, env = process.env) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  // A command that ran has said what went wrong; one that could not start has not.
  if (result.error) process.stderr.write(`vxlan-tap setup: cannot run ${command}: ${result.error.message}\n`);
  if (result.status !== 0) process.exit(result.status ?? 1);
}

// npm run sets npm_execpath to the npm that runs us; use the same one.
const npm = process.env.npm_execpath;
step(npm ? process.execPath : 'npm', [...(npm ? [npm] : []), 'install']);

const { DEMO_TOOLS, NETNS_TEST_TOOLS, TEST_TOOLS, missingPackages } = await import('../dist/lab/system-tools.js');
const packages = missingPackages([...DEMO_TOOLS, ...TEST_TOOLS, ...NETNS_TEST_TOOLS]);
if (packages.length > 0) {
  if (process.getuid?.() !== 0) {
    process.stderr.write(`vxlan-tap setup: the demo and the tests need Debian packages: as root, apt-get install ${packages.join(' ')}\n`);
    process.exit(1);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  step('apt-get', ['update', '-qq'], env);
  step('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], env);
}

step(process.execPath, ['dist/src/cli/main.js', 'demo']);
