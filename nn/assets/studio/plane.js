// The data plane: the model's output over the input plane (a heat map Python computed, one
// byte a cell), the decision boundary Python traced through it, and the points: training points
// filled, test points hollow, the selected one ringed. Click a point to select it, empty space
// to add one of the chosen class (as a test point with "add as test" on). Inputs that are not a
// plane get each sample's output (Python's) against its target instead.

import { el, classColor, fmt, paintMap, ramp, rgba, rgb } from "./common.js";

const SIZE = 320;

export function planePane(box, hooks) {
  const title = el("div", { class: "sgs-title", text: "data and the model's output" }, box);
  const canvas = el("canvas", { class: "sgs-plane", width: SIZE, height: SIZE }, box);
  const edit = el("div", { class: "sgs-edit" }, box);
  const classBox = el("span", { class: "sgs-classes" }, edit);
  const asTestLabel = el("label", { class: "sgs-field", text: " add as test" }, edit);
  const asTest = el("input", { class: "sgs-add-test", type: "checkbox" }, null);
  asTestLabel.prepend(asTest);
  const remove = el("button", { class: "sgs-remove", text: "remove selected" }, edit);
  const showLabel = el("label", { class: "sgs-field", text: " show test data" }, box);
  const showTest = el("input", { class: "sgs-show-test", type: "checkbox" }, null);
  showTest.checked = true;
  showLabel.prepend(showTest);

  const s = { setup: null, chosen: null, table: null, pixels: [], last: null };

  function setup(msg) {
    s.setup = msg;
    s.table = ramp(msg.palette, 0.35);
    classBox.innerHTML = "";
    const live = hooks.editable();
    edit.hidden = !live;
    if (msg.classes && live) {
      classBox.appendChild(document.createTextNode("click adds "));
      for (const c of msg.classes) {
        const b = el("button", { class: "sgs-class", "data-class": String(c), text: String(c) }, classBox);
        b.style.borderColor = classColor(msg, c);
        b.addEventListener("click", () => { s.chosen = c; markChosen(); });
      }
      s.chosen = msg.classes[msg.classes.length - 1];
      markChosen();
    }
    title.textContent = msg.features === 2
      ? (live ? "data and the model's output; click: select a point or add one" : "data and the model's output (the ringed point: the sample saved with the run)")
      : msg.features === 1 ? "output (dots) and target (rings) against the input" : "each sample's output (dots) and target (rings)";
  }

  function markChosen() {
    for (const b of classBox.querySelectorAll(".sgs-class")) b.classList.toggle("sgs-on", b.dataset.class === String(s.chosen));
  }

  remove.addEventListener("click", () => hooks.send({ type: "remove", index: hooks.selected() }));
  showTest.addEventListener("change", () => s.last && draw(s.last));

  canvas.addEventListener("click", (event) => {
    const v = s.last;
    if (!s.setup || !v) return;
    const rect = canvas.getBoundingClientRect();
    const px = (event.clientX - rect.left) * (canvas.width / rect.width);
    const py = (event.clientY - rect.top) * (canvas.height / rect.height);
    const hit = pointAt(px, py);
    if (hit !== null) {
      hooks.select(hit);
    } else if (hooks.editable() && s.setup.classes && s.setup.features === 2 && v.bounds) {
      const [x0, x1, y0, y1] = v.bounds;
      const x = [x0 + (px / SIZE) * (x1 - x0), y1 - (py / SIZE) * (y1 - y0)];
      hooks.send({ type: "add", x, target: s.chosen, test: asTest.checked });
    }
  });

  function toPixel(v, x) {
    const [x0, x1, y0, y1] = v.bounds;
    return [((x[0] - x0) / (x1 - x0)) * SIZE, ((y1 - x[1]) / (y1 - y0)) * SIZE];
  }

  function pointAt(px, py) {
    let best = null, bestDistance = 8 * 8;
    s.pixels.forEach(([qx, qy], i) => {
      if (qx === null) return;
      const d = (qx - px) ** 2 + (qy - py) ** 2;
      if (d <= bestDistance) { best = i; bestDistance = d; }
    });
    return best;
  }

  function draw(v) {
    s.last = v;
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, SIZE, SIZE);
    if (s.setup.features !== 2 || !v.bounds) return drawOutputs(ctx, v);
    const G = s.setup.grid;
    const out = v.buffers.output, classes = v.buffers.classes;
    if (out && classes) {  // several classes: the winner's colour, deeper where it wins by more
      const image = new ImageData(G, G);
      const colors = s.setup.palette.classes.map(rgb);
      for (let k = 0; k < G * G; k++) {
        const c = colors[classes[k] % colors.length];
        const depth = 0.25 + 0.45 * (out[k] / 127.5 - 1);
        for (let i = 0; i < 3; i++) image.data[4 * k + i] = 255 + (c[i] - 255) * depth;
        image.data[4 * k + 3] = 255;
      }
      const small = el("canvas", { width: G, height: G });
      small.getContext("2d").putImageData(image, 0, 0);
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(small, 0, 0, SIZE, SIZE);
    } else if (out) {
      paintMap(ctx, out, G, s.table, 0, 0, SIZE, SIZE);
    }
    const segments = v.buffers.boundary;
    ctx.strokeStyle = "#111";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    for (let k = 0; k + 3 < segments.length; k += 4) {
      const [ax, ay] = toPixel(v, [segments[k], segments[k + 1]]);
      const [bx, by] = toPixel(v, [segments[k + 2], segments[k + 3]]);
      ctx.moveTo(ax, ay);
      ctx.lineTo(bx, by);
    }
    ctx.stroke();
    drawPoints(ctx, v);
  }

  function drawPoints(ctx, v) {
    const { X, y, test } = v.points;
    const selected = v.header.sample.index;
    s.pixels = X.map((x, i) => (test[i] && !showTest.checked && i !== selected ? [null, null] : toPixel(v, x)));
    const order = X.map((_, i) => i).filter((i) => i !== selected).concat([selected]);
    for (const i of order) {
      const [px, py] = s.pixels[i];
      if (px === null) continue;
      ctx.beginPath();
      ctx.arc(px, py, i === selected ? 6.5 : 4, 0, 2 * Math.PI);
      const color = classColor(s.setup, y[i]);
      ctx.fillStyle = test[i] ? "#fff" : color;
      ctx.fill();
      ctx.lineWidth = i === selected ? 3 : test[i] ? 2 : 1;
      ctx.strokeStyle = i === selected ? "#000" : test[i] ? color : "#fff";
      ctx.stroke();
    }
  }

  // Inputs that are not a plane: one column per sample, its target (ring) and output (dot).
  function drawOutputs(ctx, v) {
    const { X, y } = v.points;
    const outs = v.header.outputs || [];
    const shown = outs.map((o, i) => (o.length === 1 ? o[0] : o[y[i]]));
    let lo = Math.min(...shown, ...y.map(Number)), hi = Math.max(...shown, ...y.map(Number));
    if (!(hi - lo > 1e-9)) { lo -= 1; hi += 1; }
    const yOf = (value) => SIZE - 12 - ((value - lo) / (hi - lo)) * (SIZE - 24);
    let xlo = Infinity, xhi = -Infinity;
    for (const x of X) { xlo = Math.min(xlo, x[0]); xhi = Math.max(xhi, x[0]); }
    if (!(xhi - xlo > 1e-12)) { xlo -= 1; xhi += 1; }
    const selected = v.header.sample.index;
    s.pixels = [];
    X.forEach((row, i) => {
      const x = s.setup.features === 1 ? 8 + ((row[0] - xlo) / (xhi - xlo)) * (SIZE - 16) : 8 + ((i + 0.5) / X.length) * (SIZE - 16);
      ctx.beginPath();
      ctx.arc(x, yOf(Number(y[i])), 4, 0, 2 * Math.PI);
      ctx.strokeStyle = "#999";
      ctx.stroke();
      ctx.beginPath();
      ctx.arc(x, yOf(shown[i]), i === selected ? 5 : 3, 0, 2 * Math.PI);
      ctx.fillStyle = i === selected ? "#000" : rgba(s.setup.palette.positive, 1);
      ctx.fill();
      s.pixels.push([x, yOf(shown[i])]);
    });
    title.dataset.note = fmt(shown[selected]);
  }

  return { setup, draw };
}
