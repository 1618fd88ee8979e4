// Runs once before any test: every program the tests start must be on the PATH, or the
// run stops at once with one line naming the Debian packages to install (no stack trace).
import { missingToolsLine, NETNS_TEST_TOOLS, TEST_TOOLS } from '../../lab/system-tools.js';

export default function preflight(): void {
  // The namespace tests run only as root; without root they are skipped and need nothing.
  const tools = process.getuid?.() === 0 ? [...TEST_TOOLS, ...NETNS_TEST_TOOLS] : TEST_TOOLS;
  const missing = missingToolsLine('the tests need', tools);
  if (missing === undefined) return;
  process.stderr.write(`${missing}\n`);
  process.exit(1);
}
