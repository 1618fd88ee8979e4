// Draws a Chart as a standalone SVG document: one panel after another, each a set of
// horizontal bar groups (one group per setup, one bar per metric) in one column per
// reference row. Every column has a logarithmic axis with a dashed line at 1 (the
// reference) from which the bars grow: right for more than the reference, left for less,
// so that 0.1× and 10× are as far from it. Pure: returns the text.
import { formatRatio } from '../e2e/results.js';
import type { Chart, ChartPanel } from './data.js';

const WIDTH = 1270;
const MARGIN = 16;
const LABEL_WIDTH = 460;
/** Room left of each column's plot, and right of it for the value of the longest bar. */
const COLUMN_PAD = 12;
const VALUE_ROOM = 56;
const BAR_HEIGHT = 9;
const BAR_GAP = 2;
const GROUP_GAP = 8;
const PANEL_HEAD = 62;
const AXIS_ROOM = 24;
const NOTE_HEIGHT = 16;
/** What fits on one line of the width in the font used. */
const NOTE_CHARACTERS = 180;
/** A log axis spanning more decades than this is ticked at powers of ten only. */
const FINE_TICK_DECADES = 2;
// Shades per panel, darkest for the first metric.
const PALETTES = [
  ['#1f4e8c', '#4f7fc0', '#8fb2e3', '#c4d7f2'],
  ['#8a3414', '#cc5533', '#eb9672', '#f6cbb5'],
  ['#2f6b2f', '#4f9a4f', '#8cc78c', '#c5e5c5'],
  ['#5b3a8a', '#8560b8', '#b49ad9', '#dccff0'],
];
const FONT_FAMILY = 'font-family="DejaVu Sans Mono, monospace"';
const FONT = `${FONT_FAMILY} font-size="11"`;

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface LogAxis {
  min: number;
  max: number;
  ticks: number[];
}

/**
 * A log axis holding 1 and every value: its ends are the nearest round values outside them
 * (1, 2 or 5 times a power of ten); it is ticked at every round value in between, or at
 * powers of ten only where it spans more than FINE_TICK_DECADES decades.
 */
export function logAxis(values: readonly number[]): LogAxis {
  const low = Math.min(1, ...values);
  const high = Math.max(1, ...values);
  const round: number[] = [];
  for (let power = Math.floor(Math.log10(low)) - 1; power <= Math.ceil(Math.log10(high)) + 1; power++) {
    for (const mantissa of [1, 2, 5]) round.push(Number((mantissa * 10 ** power).toPrecision(6)));
  }
  let min = round.filter((value) => value <= low).at(-1)!;
  let max = round.find((value) => value >= high)!;
  // Only where every value is 1: one round step either side.
  if (min === max) [min, max] = [round[round.indexOf(min) - 1]!, round[round.indexOf(max) + 1]!];
  const fine = Math.log10(max / min) <= FINE_TICK_DECADES;
  const ticks = round.filter((value) => value >= min && value <= max && (fine || /^(0\.0*)?10*$/.test(String(value))));
  return { min, max, ticks };
}

function panelHeight(panel: ChartPanel): number {
  const group = panel.metrics.length * (BAR_HEIGHT + BAR_GAP) - BAR_GAP + GROUP_GAP;
  return PANEL_HEAD + Math.max(1, panel.groups.length) * group + AXIS_ROOM;
}

function drawPanel(panel: ChartPanel, references: Chart['references'], top: number, colours: readonly string[]): string[] {
  const out: string[] = [];
  const plotTop = top + PANEL_HEAD;
  const plotBottom = top + panelHeight(panel) - AXIS_ROOM;
  const groupHeight = panel.metrics.length * (BAR_HEIGHT + BAR_GAP) - BAR_GAP;
  const columnWidth = (WIDTH - MARGIN - LABEL_WIDTH) / references.length;

  out.push(`<text x="${MARGIN}" y="${top + 16}" font-weight="bold" ${FONT}>${escapeXml(panel.title)}</text>`);
  panel.metrics.forEach((metric, i) => {
    const lx = LABEL_WIDTH + i * 150;
    out.push(`<rect x="${lx}" y="${top + 26}" width="12" height="10" fill="${colours[i % colours.length]}"/>`);
    out.push(`<text x="${lx + 16}" y="${top + 35}" ${FONT}>${escapeXml(metric)}</text>`);
  });
  panel.groups.forEach((group, g) => {
    const y = plotTop + g * (groupHeight + GROUP_GAP);
    out.push(`<text x="${LABEL_WIDTH - 8}" y="${y + groupHeight / 2 + 4}" text-anchor="end" ${FONT}>${escapeXml(group.label)}</text>`);
  });

  references.forEach((reference, column) => {
    const left = LABEL_WIDTH + column * columnWidth + COLUMN_PAD;
    const plotWidth = columnWidth - COLUMN_PAD - VALUE_ROOM;
    const heading = reference.measured ? `over ${reference.label} (= 1)` : `over ${reference.label}: not measured`;
    out.push(`<text x="${left}" y="${top + 54}" fill="#333333" ${FONT}>${escapeXml(heading)}</text>`);
    const values = panel.groups.flatMap((group) => (group.ratios[column] ?? []).filter((r): r is number => r !== undefined && r > 0));
    const axis = logAxis(values);
    const x = (value: number): number => left + (Math.log(value / axis.min) / Math.log(axis.max / axis.min)) * plotWidth;
    for (const tick of axis.ticks) {
      out.push(`<line x1="${x(tick).toFixed(1)}" y1="${plotTop}" x2="${x(tick).toFixed(1)}" y2="${plotBottom}" stroke="#dddddd"/>`);
      out.push(`<text x="${x(tick).toFixed(1)}" y="${plotBottom + 14}" text-anchor="middle" ${FONT}>${tick}×</text>`);
    }
    out.push(`<line x1="${x(1).toFixed(1)}" y1="${plotTop - 4}" x2="${x(1).toFixed(1)}" y2="${plotBottom}" stroke="#000000" stroke-dasharray="4 3"/>`);
    panel.groups.forEach((group, g) => {
      const groupTop = plotTop + g * (groupHeight + GROUP_GAP);
      panel.metrics.forEach((_, i) => {
        const value = group.ratios[column]?.[i];
        const barY = groupTop + i * (BAR_HEIGHT + BAR_GAP);
        if (value === undefined || !(value > 0)) {
          out.push(`<text x="${left + 4}" y="${barY + BAR_HEIGHT - 1}" fill="#888888" ${FONT_FAMILY} font-size="9">not measured</text>`);
          return;
        }
        const [from, to] = [x(1), x(value)];
        const width = Math.max(0.5, Math.abs(to - from));
        out.push(
          `<rect class="bar" x="${Math.min(from, to).toFixed(1)}" y="${barY}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" fill="${colours[i % colours.length]}"/>`,
        );
        out.push(`<text x="${(Math.max(from, to) + 3).toFixed(1)}" y="${barY + BAR_HEIGHT - 1}" ${FONT_FAMILY} font-size="9">${formatRatio(value)}×</text>`);
      });
    });
  });
  return out;
}

export function renderSvg(chart: Chart): string {
  const headHeight = 56;
  const panelsHeight = chart.panels.reduce((sum, panel) => sum + panelHeight(panel), 0);
  const height = headHeight + panelsHeight + chart.notMeasured.length * 2 * NOTE_HEIGHT + MARGIN;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${MARGIN}" y="22" font-weight="bold" ${FONT_FAMILY} font-size="13">${escapeXml(chart.title)}</text>`,
    `<text x="${MARGIN}" y="40" fill="#555555" ${FONT}>${escapeXml(chart.subtitle)}</text>`,
  ];
  let top = headHeight;
  for (const [i, panel] of chart.panels.entries()) {
    out.push(...drawPanel(panel, chart.references, top, PALETTES[i % PALETTES.length]!));
    top += panelHeight(panel);
  }
  for (const { label, reason } of chart.notMeasured) {
    const shortReason = reason.length > NOTE_CHARACTERS ? `${reason.slice(0, NOTE_CHARACTERS - 1)}…` : reason;
    out.push(`<text x="${MARGIN}" y="${(top += NOTE_HEIGHT)}" fill="#555555" ${FONT}>not measured: ${escapeXml(label)}</text>`);
    out.push(`<text x="${MARGIN * 2}" y="${(top += NOTE_HEIGHT)}" fill="#555555" ${FONT}>${escapeXml(shortReason)}</text>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
