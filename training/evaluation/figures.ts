import { mkdir } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { RUNS } from "../../lib/catalogue";
import { type PixelImage, toRgba } from "../../lib/image";
import { inverseNormalCdf } from "../../lib/latent";

/**
 * The report's PNG figures. Image grids are drawn into a raw RGBA buffer; the latent scatters and any text are SVG,
 * which sharp rasterises (librsvg, with whatever fonts the machine has: without fonts the labels are missing, the
 * points and images are not).
 */

/** Each figure's path in the output folder: where the evaluation writes it and what the report links to. */
export const FIGURE_PATHS = {
  denoising: (settingId: string) => `figures/denoising-${settingId}.png`,
  latentScatter: "figures/latent-scatter.png",
  latentGrid: `figures/${RUNS.vae.name}-latent-grid.png`,
};

const FONT = `font-family="DejaVu Sans, Helvetica, Arial, sans-serif"`;
/** matplotlib's tab10, the palette of most published latent-space plots, one colour per digit. */
const DIGIT_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

/**
 * The latent points of Kingma & Welling's Fig. 4: z = Φ⁻¹(p) for p = linspace(0.05, 0.95, steps) in each dimension,
 * so that the grid covers equal probability mass of the prior. Row-major (z1, z2) pairs, z1 growing to the right and
 * z2 growing upwards, as a plot's axes do.
 */
export function latentGridCoordinates(steps: number): Float32Array {
  const values = Array.from({ length: steps }, (_, i) => inverseNormalCdf(0.05 + (0.9 * i) / (steps - 1)));
  const points = new Float32Array(steps * steps * 2);
  for (let row = 0; row < steps; row++) {
    for (let column = 0; column < steps; column++) {
      points[(row * steps + column) * 2] = values[column];
      points[(row * steps + column) * 2 + 1] = values[steps - 1 - row];
    }
  }
  return points;
}

interface Canvas {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
}

function whiteCanvas(width: number, height: number): Canvas {
  return { width, height, rgba: new Uint8ClampedArray(width * height * 4).fill(255) };
}

/** Copies `image` onto the canvas at (left, top), each pixel as a scale x scale block. */
function drawImage(canvas: Canvas, image: PixelImage, left: number, top: number, scale: number): void {
  const rgba = toRgba(image);
  for (let y = 0; y < image.height * scale; y++) {
    for (let x = 0; x < image.width * scale; x++) {
      const from = (Math.floor(y / scale) * image.width + Math.floor(x / scale)) * 4;
      canvas.rgba.set(rgba.subarray(from, from + 4), ((top + y) * canvas.width + left + x) * 4);
    }
  }
}

const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

async function savePng(file: string, canvas: Canvas, overlaySvg?: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const raw = sharp(Buffer.from(canvas.rgba.buffer), { raw: { width: canvas.width, height: canvas.height, channels: 4 } });
  const composed = overlaySvg === undefined ? raw : raw.composite([{ input: Buffer.from(overlaySvg), top: 0, left: 0 }]);
  await composed.png().toFile(file);
}

export interface ImageRowsOptions {
  /** Nearest-neighbour upscaling factor. */
  scale: number;
  /** White pixels between images. */
  gap: number;
  /** One label per row, written in a margin on the left. */
  rowLabels?: string[];
}

const LABEL_MARGIN = 90;

/** Writes rows of equally sized images as one PNG. */
export async function writeImageRows(file: string, rows: PixelImage[][], { scale, gap, rowLabels }: ImageRowsOptions): Promise<void> {
  const [tileWidth, tileHeight] = [rows[0][0].width * scale, rows[0][0].height * scale];
  const columns = Math.max(...rows.map((row) => row.length));
  const left = rowLabels === undefined ? 0 : LABEL_MARGIN;
  const canvas = whiteCanvas(left + columns * (tileWidth + gap) - gap, rows.length * (tileHeight + gap) - gap);
  rows.forEach((row, r) => row.forEach((image, c) => drawImage(canvas, image, left + c * (tileWidth + gap), r * (tileHeight + gap), scale)));
  const labels = rowLabels?.map(
    (label, r) => `<text x="${LABEL_MARGIN - 10}" y="${r * (tileHeight + gap) + tileHeight / 2 + 6}" text-anchor="end" font-size="16" ${FONT}>${escapeXml(label)}</text>`,
  );
  const overlay = labels && `<svg xmlns="http://www.w3.org/2000/svg" width="${canvas.width}" height="${canvas.height}">${labels.join("")}</svg>`;
  await savePng(file, canvas, overlay);
}

export interface ScatterPanel {
  title: string;
  /** (x, y) pairs. */
  codes: Float32Array;
  labels: Uint8Array;
}

const PANEL = 400;
const PANEL_GAP = 30;
const TITLE_HEIGHT = 36;
const LEGEND_HEIGHT = 44;

/** The [low, high] of one coordinate over its 0.1 to 99.9 percentiles, padded by 5%: a few outliers do not squash the plot. */
function axisRange(codes: Float32Array, axis: 0 | 1): [number, number] {
  const values = Float64Array.from({ length: codes.length / 2 }, (_, i) => codes[2 * i + axis]).sort();
  const at = (q: number) => values[Math.min(values.length - 1, Math.floor(q * values.length))];
  const [low, high] = [at(0.001), at(0.999)];
  const pad = 0.05 * (high - low || 1);
  return [low - pad, high + pad];
}

function scatterPanelSvg(panel: ScatterPanel, left: number): string {
  const [xLow, xHigh] = axisRange(panel.codes, 0);
  const [yLow, yHigh] = axisRange(panel.codes, 1);
  const points: string[] = [];
  for (let i = 0; i < panel.labels.length; i++) {
    const x = ((panel.codes[2 * i] - xLow) / (xHigh - xLow)) * PANEL;
    const y = (1 - (panel.codes[2 * i + 1] - yLow) / (yHigh - yLow)) * PANEL;
    points.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="1.5" fill="${DIGIT_COLOURS[panel.labels[i] % 10]}"/>`);
  }
  const clip = `clip-${left}`;
  return (
    `<text x="${left + PANEL / 2}" y="${TITLE_HEIGHT - 12}" text-anchor="middle" font-size="16" ${FONT}>${escapeXml(panel.title)}</text>` +
    `<clipPath id="${clip}"><rect width="${PANEL}" height="${PANEL}"/></clipPath>` +
    // Drawn in the data's order, not digit by digit, so that no digit's colour systematically covers another's.
    `<g transform="translate(${left} ${TITLE_HEIGHT})" clip-path="url(#${clip})" fill-opacity="0.6">${points.join("")}</g>` +
    `<rect x="${left}" y="${TITLE_HEIGHT}" width="${PANEL}" height="${PANEL}" fill="none" stroke="#444"/>`
  );
}

function digitLegendSvg(width: number, top: number): string {
  const spacing = 48;
  const start = (width - 10 * spacing) / 2;
  return DIGIT_COLOURS.map((colour, digit) => {
    const x = start + digit * spacing;
    return `<circle cx="${x + 8}" cy="${top + 20}" r="6" fill="${colour}"/><text x="${x + 18}" y="${top + 26}" font-size="16" ${FONT}>${digit}</text>`;
  }).join("");
}

/** Writes latent scatters side by side, each point coloured by its digit, with one legend below (cf. the 2006 paper's Fig. 3). */
export async function writeLatentScatter(file: string, panels: ScatterPanel[]): Promise<void> {
  const width = panels.length * (PANEL + PANEL_GAP) + PANEL_GAP;
  const height = TITLE_HEIGHT + PANEL + LEGEND_HEIGHT;
  const body = panels.map((panel, i) => scatterPanelSvg(panel, PANEL_GAP + i * (PANEL + PANEL_GAP))).join("");
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    `<rect width="${width}" height="${height}" fill="white"/>${body}${digitLegendSvg(width, TITLE_HEIGHT + PANEL)}</svg>`;
  await mkdir(path.dirname(file), { recursive: true });
  await sharp(Buffer.from(svg)).png().toFile(file);
}
