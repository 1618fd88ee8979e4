// Draws the ratios of one end-to-end run as an SVG chart beside its JSON:
//   npm run bench:chart [-- <results.json>]     (node dist/bench/chart.js)
// Without an argument, the newest file in bench/results/. Prints the SVG's path.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { asRunResults, chartData } from './chart/data.js';
import { renderSvg } from './chart/svg.js';
import { RESULTS_DIR } from './e2e/results.js';

function newestResults(): string {
  let names: string[];
  try {
    names = readdirSync(RESULTS_DIR);
  } catch {
    names = [];
  }
  // The names are timestamps: the last in order is the newest.
  const newest = names.filter((name) => name.endsWith('.json')).sort().at(-1);
  if (newest === undefined) throw new Error(`no results in ${RESULTS_DIR}: run npm run bench first, or name a file`);
  return path.join(RESULTS_DIR, newest);
}

function main(): void {
  const args = process.argv.slice(2);
  if (args.length > 1) throw new Error('usage: npm run bench:chart [-- <results.json>]');
  const input = args[0] ?? newestResults();
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(input, 'utf8'));
  } catch (err) {
    throw new Error(`${input}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const output = input.replace(/\.json$/, '') + '.svg';
  try {
    writeFileSync(output, renderSvg(chartData(asRunResults(parsed))));
  } catch (err) {
    throw new Error(`${input}: ${err instanceof Error ? err.message : String(err)}`);
  }
  process.stdout.write(`${output}\n`);
}

try {
  main();
} catch (err) {
  process.stderr.write(`bench:chart: error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
