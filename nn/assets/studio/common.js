// What every pane of the Studio's view shares: making elements, writing numbers, decoding a
// frame's buffers and turning the palette (sent by Python in the setup message) into colours.
// The panes compute no number of the model: Python sends them all (nn/studio_protocol.py).

export const NS = "http://www.w3.org/2000/svg";

export function el(tag, attrs = {}, parent = null, ns = null) {
  const node = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  if (parent) parent.appendChild(node);
  return node;
}

export function fmt(x) {
  if (x === null || x === undefined) return "–";
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e4) ? x.toExponential(3) : x.toFixed(4);
}

// A frame's buffers by name: header.buffers lists [name, dtype, count] (and, in a saved page,
// the byte offset into one blob). "f4" is float32, "u1" one byte.
export function decode(header, buffers, blob = null) {
  const out = {};
  header.buffers.forEach(([name, dtype, count, offset], k) => {
    const width = dtype === "f4" ? 4 : 1;
    let bytes;
    if (blob) {
      bytes = blob.slice(offset, offset + count * width);
    } else {
      const part = buffers[k];
      const view = part instanceof ArrayBuffer ? new DataView(part) : part;
      bytes = view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength);
    }
    out[name] = dtype === "f4" ? new Float32Array(bytes) : new Uint8Array(bytes);
  });
  return out;
}

export function rgb(hex) {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

export function rgba(hex, alpha) {
  const [r, g, b] = rgb(hex);
  return `rgba(${r},${g},${b},${alpha})`;
}

// The heat map's colours: a byte c (Python's 127.5·(1 + tanh v)) runs from the palette's
// negative colour through its neutral one to its positive colour. Returns 256 RGBA entries.
export function ramp(palette, lighten = 0) {
  const negative = rgb(palette.negative), neutral = rgb(palette.neutral), positive = rgb(palette.positive);
  const table = new Uint8ClampedArray(256 * 4);
  for (let c = 0; c < 256; c++) {
    const t = c / 127.5 - 1;
    const end = t >= 0 ? positive : negative;
    const s = Math.abs(t);
    for (let i = 0; i < 3; i++) {
      const v = neutral[i] + (end[i] - neutral[i]) * s;
      table[4 * c + i] = v + (255 - v) * lighten;
    }
    table[4 * c + 3] = 255;
  }
  return table;
}

// A class's colour, as autograd.viz.palette.class_color: two classes (±1 or 0/1) are the
// negative and positive colours, more are the palette's classes by index.
export function classColor(setup, label) {
  const palette = setup.palette;
  if (setup.outputs > 1) return palette.classes[Number(label) % palette.classes.length];
  return Number(label) > 0.5 ? palette.positive : palette.negative;
}

export function signColor(palette, value) {
  return value >= 0 ? palette.positive : palette.negative;
}

// One small canvas reused to turn a map of bytes into an image that drawImage scales.
const scratch = { canvas: null, size: 0 };

export function paintMap(ctx, codes, size, table, x, y, width, height, offset = 0) {
  if (!scratch.canvas || scratch.size !== size) {
    scratch.canvas = document.createElement("canvas");
    scratch.canvas.width = scratch.canvas.height = size;
    scratch.size = size;
  }
  const image = new ImageData(size, size);
  for (let k = 0; k < size * size; k++) image.data.set(table.subarray(4 * codes[offset + k], 4 * codes[offset + k] + 4), 4 * k);
  scratch.canvas.getContext("2d").putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(scratch.canvas, x, y, width, height);
}

// Pretty names of the input features, as the Playground labels them.
export const INPUT_LABELS = {
  "x1": "x₁", "x2": "x₂", "x1^2": "x₁²", "x2^2": "x₂²", "x1*x2": "x₁x₂",
  "sin(x1)": "sin x₁", "sin(x2)": "sin x₂",
};

export function inputLabel(name) {
  return INPUT_LABELS[name] || name;
}

// Edges drawn on a canvas (hundreds restyled per frame would cost the browser more as SVG):
// each edge {x1, y1, x2, y2, color, width}. nearestEdge finds the one under the pointer.
export function paintEdges(ctx, edges) {
  for (const e of edges) {
    ctx.strokeStyle = e.color;
    ctx.lineWidth = e.width;
    ctx.beginPath();
    ctx.moveTo(e.x1, e.y1);
    ctx.lineTo(e.x2, e.y2);
    ctx.stroke();
  }
}

export function nearestEdge(edges, x, y, reach = 4) {
  let best = null, bestDistance = reach * reach;
  for (const e of edges) {
    const dx = e.x2 - e.x1, dy = e.y2 - e.y1;
    const t = Math.max(0, Math.min(1, ((x - e.x1) * dx + (y - e.y1) * dy) / (dx * dx + dy * dy || 1)));
    const d = (e.x1 + t * dx - x) ** 2 + (e.y1 + t * dy - y) ** 2;
    if (d <= bestDistance) { best = e; bestDistance = d; }
  }
  return best;
}

// Where a pointer event falls in an element's own pixels.
export function pointerIn(element, event) {
  const rect = element.getBoundingClientRect();
  return [event.clientX - rect.left, event.clientY - rect.top];
}

// Size a pane's drawing: its SVG (edges' hit areas, text) and canvas (edges) over one stage
// of W × H pixels, and remember the size in the pane's state.
export function sizeStage(s, svg, canvas, stage, W, H) {
  for (const node of [svg, canvas]) {
    node.setAttribute("width", W);
    node.setAttribute("height", H);
  }
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  stage.style.width = `${W}px`;
  stage.style.height = `${H}px`;
  s.width = W;
  s.height = H;
}
