// Draws a Chart as a standalone SVG document: one panel after another, each a set of
// horizontal bar groups (one group per setup, one bar per metric) on a linear axis from 0,
// with a dashed line at 1 (the baseline). Pure: returns the text.
import type { Chart, ChartPanel } from './data.js';

const WIDTH = 980;
const LABEL_WIDTH = 440;
const VALUE_ROOM = 70;
const PLOT_WIDTH = WIDTH - LABEL_WIDTH - VALUE_ROOM;
const MARGIN = 16;
const BAR_HEIGHT = 11;
const BAR_GAP = 2;
const GROUP_GAP = 10;
const PANEL_HEAD = 44;
const AXIS_ROOM = 24;
const NOTE_HEIGHT = 16;
/** What fits on one line of the width in the font used. */
const NOTE_CHARACTERS = 140;
// One pair of shades per panel: dark for the first metric, light for the second.
const PALETTES = [
  ['#3366aa', '#88aadd'],
  ['#cc5533', '#eea080'],
];
const FONT_FAMILY = 'font-family="DejaVu Sans Mono, monospace"';
const FONT = `${FONT_FAMILY} font-size="11"`;

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A round step (1, 2 or 5 times a power of ten) that cuts 0..max into about five parts. */
export function axisStep(max: number): number {
  const rough = max / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= rough)!;
}

function panelHeight(panel: ChartPanel): number {
  const group = panel.metrics.length * (BAR_HEIGHT + BAR_GAP) - BAR_GAP + GROUP_GAP;
  return PANEL_HEAD + Math.max(1, panel.groups.length) * group + AXIS_ROOM;
}

function drawPanel(panel: ChartPanel, top: number, colours: readonly string[]): string[] {
  const out: string[] = [];
  const values = panel.groups.flatMap((group) => group.ratios.filter((r): r is number => r !== undefined));
  const step = axisStep(Math.max(1, ...values));
  const axisMax = Math.ceil(Math.max(1, ...values) / step) * step;
  const x = (value: number): number => LABEL_WIDTH + (value / axisMax) * PLOT_WIDTH;
  const plotTop = top + PANEL_HEAD;
  const plotBottom = top + panelHeight(panel) - AXIS_ROOM;

  out.push(`<text x="${MARGIN}" y="${top + 16}" font-weight="bold" ${FONT}>${escapeXml(panel.title)}</text>`);
  panel.metrics.forEach((metric, i) => {
    const lx = LABEL_WIDTH + i * 150;
    out.push(`<rect x="${lx}" y="${top + 26}" width="12" height="10" fill="${colours[i % colours.length]}"/>`);
    out.push(`<text x="${lx + 16}" y="${top + 35}" ${FONT}>${escapeXml(metric)}</text>`);
  });
  for (let tick = 0; tick <= axisMax + step / 1e6; tick += step) {
    out.push(`<line x1="${x(tick).toFixed(1)}" y1="${plotTop}" x2="${x(tick).toFixed(1)}" y2="${plotBottom}" stroke="#dddddd"/>`);
    out.push(`<text x="${x(tick).toFixed(1)}" y="${plotBottom + 14}" text-anchor="middle" ${FONT}>${Number(tick.toPrecision(6))}×</text>`);
  }
  out.push(`<line x1="${x(1).toFixed(1)}" y1="${plotTop - 4}" x2="${x(1).toFixed(1)}" y2="${plotBottom}" stroke="#000000" stroke-dasharray="4 3"/>`);

  let y = plotTop;
  for (const group of panel.groups) {
    const groupHeight = panel.metrics.length * (BAR_HEIGHT + BAR_GAP) - BAR_GAP;
    out.push(`<text x="${LABEL_WIDTH - 8}" y="${y + groupHeight / 2 + 4}" text-anchor="end" ${FONT}>${escapeXml(group.label)}</text>`);
    group.ratios.forEach((value, i) => {
      const barY = y + i * (BAR_HEIGHT + BAR_GAP);
      if (value === undefined) {
        out.push(`<text x="${LABEL_WIDTH + 4}" y="${barY + BAR_HEIGHT - 2}" fill="#888888" ${FONT}>not measured</text>`);
        return;
      }
      const width = Math.max(0.5, x(value) - LABEL_WIDTH);
      out.push(`<rect class="bar" x="${LABEL_WIDTH}" y="${barY}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" fill="${colours[i % colours.length]}"/>`);
      out.push(`<text x="${(LABEL_WIDTH + width + 4).toFixed(1)}" y="${barY + BAR_HEIGHT - 2}" ${FONT}>${value.toFixed(2)}×</text>`);
    });
    y += groupHeight + GROUP_GAP;
  }
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
    out.push(...drawPanel(panel, top, PALETTES[i % PALETTES.length]!));
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
