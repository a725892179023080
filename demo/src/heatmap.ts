// Draws one attention matrix (T × T, row = query token, column = key token) on a canvas, tokens on both axes, with a
// colour legend; and maps a pointer position back to a cell for the readout. Pure drawing: no pipeline calls here.

export interface HeatmapData {
  tokens: string[];
  /** Row-major T × T probabilities. */
  matrix: Float32Array;
}

export interface HeatmapLayout {
  cell: number;
  left: number;
  top: number;
  T: number;
}

const FONT = '11px ui-monospace, "DejaVu Sans Mono", monospace';
const LOW = [255, 255, 255];
const HIGH = [11, 42, 102];
const MAX_LABEL_PX = 110;
const LEGEND_H = 34;

/** Row-major (T, T) slice for one head, or the mean over heads (head = -1), from (numHeads, T, T). */
export function headMatrix(attentions: Float32Array, numHeads: number, T: number, head: number): Float32Array {
  const size = T * T;
  if (head >= 0) return attentions.subarray(head * size, (head + 1) * size);
  const mean = new Float32Array(size);
  for (let h = 0; h < numHeads; h++) for (let i = 0; i < size; i++) mean[i] += attentions[h * size + i] / numHeads;
  return mean;
}

export function drawHeatmap(canvas: HTMLCanvasElement, data: HeatmapData, focus: { row: number; col: number } | null): HeatmapLayout {
  const T = data.tokens.length;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('this browser gave no 2D canvas context');
  ctx.font = FONT;
  const labels = data.tokens.map((t) => clip(ctx, t));
  const labelPx = Math.ceil(Math.max(24, ...labels.map((l) => ctx.measureText(l).width))) + 8;
  const cell = Math.max(10, Math.min(36, Math.floor(480 / Math.max(T, 1))));
  const left = labelPx;
  const top = labelPx;
  const width = left + T * cell + 8;
  const height = top + T * cell + LEGEND_H;
  // Backing store at device resolution, CSS size in layout pixels: crisp text on high-DPI screens.
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.ceil(width * dpr);
  canvas.height = Math.ceil(height * dpr);
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);

  let max = 0;
  for (const v of data.matrix) max = Math.max(max, v);
  const scale = max > 0 ? 1 / max : 0;
  for (let i = 0; i < T; i++) {
    for (let j = 0; j < T; j++) {
      ctx.fillStyle = colour(data.matrix[i * T + j] * scale);
      ctx.fillRect(left + j * cell, top + i * cell, cell, cell);
    }
  }

  ctx.font = FONT;
  ctx.fillStyle = '#1d2330';
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'right';
  labels.forEach((l, i) => ctx.fillText(l, left - 4, top + i * cell + cell / 2)); // rows: queries
  labels.forEach((l, j) => {
    // columns: keys, written bottom-up so they read along the column
    ctx.save();
    ctx.translate(left + j * cell + cell / 2, top - 4);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'left';
    ctx.fillText(l, 0, 0);
    ctx.restore();
  });

  if (focus) {
    ctx.strokeStyle = '#f0a500';
    ctx.lineWidth = 2;
    ctx.strokeRect(left + focus.col * cell + 1, top + focus.row * cell + 1, cell - 2, cell - 2);
  }
  drawLegend(ctx, left, top + T * cell + 10, Math.max(T * cell, 120), max);
  return { cell, left, top, T };
}

/** The cell under a point in CSS pixels of the canvas, or null. */
export function cellAt(layout: HeatmapLayout, x: number, y: number): { row: number; col: number } | null {
  const col = Math.floor((x - layout.left) / layout.cell);
  const row = Math.floor((y - layout.top) / layout.cell);
  return row >= 0 && col >= 0 && row < layout.T && col < layout.T ? { row, col } : null;
}

function drawLegend(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, max: number): void {
  const h = 8;
  for (let i = 0; i < w; i++) {
    ctx.fillStyle = colour(i / (w - 1));
    ctx.fillRect(x + i, y, 1, h);
  }
  ctx.strokeStyle = '#9aa3b2';
  ctx.lineWidth = 1;
  ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h);
  ctx.fillStyle = '#1d2330';
  ctx.textBaseline = 'top';
  ctx.textAlign = 'left';
  ctx.fillText('0', x, y + h + 3);
  ctx.textAlign = 'right';
  ctx.fillText(max.toFixed(3), x + w, y + h + 3);
}

function colour(t: number): string {
  const c = LOW.map((lo, k) => Math.round(lo + (HIGH[k] - lo) * Math.min(1, Math.max(0, t))));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

function clip(ctx: CanvasRenderingContext2D, token: string): string {
  if (ctx.measureText(token).width <= MAX_LABEL_PX) return token;
  let s = token;
  while (s.length > 1 && ctx.measureText(`${s}…`).width > MAX_LABEL_PX) s = s.slice(0, -1);
  return `${s}…`;
}
