// The Studio's view: draws what Python sends, sends back what the user does.
//
// Two ways in. As an anywidget module, render({model, el}) talks to nn/_studio_widget.py through
// model.send and "msg:custom". In a saved page (Studio.save), startSaved(el, run) gives the same
// view a transport that answers from the recorded run. Either way the view receives:
//   setup  the network (layer sizes, activations, parameter names), kind of loss, classes
//   data   the points (a data version), the records so far, the parameters now
//   frame  the parameters after the newest step, and the records of the new steps
//   past   the parameters (and the data) as they were after an earlier step
//   graph  the selected sample's animated page (autograd.animate), shown in an iframe
// Parameters travel as base64 float32. The heat map, the activations and the outputs are
// computed here from the parameters, so a message is a few kilobytes and a saved run is
// parameters x steps.

const NS = "http://www.w3.org/2000/svg";
const CLASS_COLORS = ["#2563eb", "#ea580c", "#16a34a", "#9333ea", "#db2777", "#0891b2"];
const POSITIVE = [37, 99, 235]; // blue: output > 0, positive weights
const NEGATIVE = [234, 88, 12]; // orange: output < 0, negative weights

function floats(b64) {
  if (!b64) return null;
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return new Float32Array(bytes.buffer);
}

function activate(z, name) {
  if (name === "relu") return z > 0 ? z : 0;
  if (name === "tanh") return Math.tanh(z);
  if (name === "sigmoid") return 1 / (1 + Math.exp(-z));
  return z;
}

// The MLP's forward pass on one input row: every layer's activations (inputs first).
// Parameters come in nn's order: layer by layer, neuron by neuron, weights then bias.
function forward(net, params, x) {
  const acts = [Array.from(x)];
  let offset = 0;
  let h = x;
  for (let l = 1; l < net.sizes.length; l++) {
    const nin = net.sizes[l - 1];
    const out = new Array(net.sizes[l]);
    for (let j = 0; j < net.sizes[l]; j++) {
      let z = params[offset + nin];
      for (let i = 0; i < nin; i++) z += params[offset + i] * h[i];
      out[j] = activate(z, net.activations[l - 1]);
      offset += nin + 1;
    }
    acts.push(out);
    h = out;
  }
  return acts;
}

function el(tag, attrs = {}, parent = null, ns = null) {
  const node = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  if (parent) parent.appendChild(node);
  return node;
}

function rgb(color, alpha) {
  return `rgba(${color[0]},${color[1]},${color[2]},${alpha})`;
}

function fmt(x) {
  if (x === null || x === undefined) return "–";
  if (!isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e4) ? x.toExponential(3) : x.toFixed(4);
}

function makeView(root, transport, saved) {
  root.classList.add("sgs");
  root.innerHTML = "";
  const bar = el("div", { class: "sgs-bar" }, root);
  const play = el("button", { class: "sgs-play", title: "play / pause", text: "▶ play" }, bar);
  const one = el("button", { class: "sgs-step", title: "one step", text: "step" }, bar);
  const reset = el("button", { class: "sgs-reset", title: "back to step 0", text: "reset" }, bar);
  const lrLabel = el("label", { class: "sgs-field", text: "lr " }, bar);
  const lr = el("input", { class: "sgs-lr", type: "number", step: "0.01", min: "0" }, lrLabel);
  const speedLabel = el("label", { class: "sgs-field", text: "steps/frame " }, bar);
  const speed = el("select", { class: "sgs-speed" }, speedLabel);
  for (const n of [1, 2, 5, 10, 20]) el("option", { value: n, text: n }, speed);
  const dataLabel = el("label", { class: "sgs-field", text: "data " }, bar);
  const dataset = el("select", { class: "sgs-dataset" }, dataLabel);
  const counter = el("span", { class: "sgs-counter", text: "step 0" }, bar);
  const lossText = el("span", { class: "sgs-loss" }, bar);

  const panes = el("div", { class: "sgs-panes" }, root);
  const netBox = el("div", { class: "sgs-pane sgs-network-pane" }, panes);
  const netTitle = el("div", { class: "sgs-title", text: "network: weights by sign and size, activations of the selected sample" }, netBox);
  const svg = el("svg", { class: "sgs-network", viewBox: "0 0 440 300" }, netBox, NS);
  const legend = el("div", { class: "sgs-legend", text: "blue: positive, orange: negative; thicker: larger |w|. Hover or click a weight or a neuron." }, netBox);
  const tip = el("div", { class: "sgs-tip" }, netBox);
  const dataBox = el("div", { class: "sgs-pane sgs-data-pane" }, panes);
  const dataTitle = el("div", { class: "sgs-title", text: "data and the model's output" }, dataBox);
  const plane = el("canvas", { class: "sgs-plane", width: 300, height: 300 }, dataBox);
  const editBar = el("div", { class: "sgs-edit" }, dataBox);
  const classBox = el("span", { class: "sgs-classes" }, editBar);
  const remove = el("button", { class: "sgs-remove", text: "remove selected" }, editBar);
  const curveBox = el("div", { class: "sgs-pane sgs-curve-pane" }, panes);
  el("div", { class: "sgs-title", text: "loss (and accuracy, green)" }, curveBox);
  const curve = el("canvas", { class: "sgs-curve", width: 280, height: 160 }, curveBox);
  const info = el("pre", { class: "sgs-info" }, curveBox);
  const graphButton = el("button", { class: "sgs-graph", text: "scalar graph of the selected sample" }, curveBox);

  const timeRow = el("div", { class: "sgs-time" }, root);
  el("span", { text: "timeline " }, timeRow);
  const timeline = el("input", { class: "sgs-timeline", type: "range", min: "0", max: "0", value: "0" }, timeRow);
  const timeText = el("span", { class: "sgs-time-text" }, timeRow);
  const status = el("div", { class: "sgs-status" }, root);
  const graphBox = el("div", { class: "sgs-graph-box", hidden: "" }, root);
  const graphTitle = el("div", { class: "sgs-title" }, graphBox);
  const frame = el("iframe", { class: "sgs-frame", sandbox: "allow-scripts", title: "scalar graph" }, graphBox);

  if (saved) {
    for (const node of [reset, lrLabel, dataLabel, editBar, graphButton]) node.hidden = true;
  }

  const s = {
    setup: null, versions: {}, records: [], latest: null, view: null, selected: 0,
    playing: false, inflight: 0, scheduled: false, replaying: false, chosen: null, bounds: null, drawn: 0, lastDrawnStep: -1,
    edges: [], nodes: [], pinned: null, largest: 0,
  };
  root.dataset.frames = "0";

  // ---- what arrives ----

  transport.onMessage((msg) => {
    const size = JSON.stringify(msg).length;
    if (msg.type === "frame") s.largest = Math.max(s.largest, size);
    root.dataset.largestFrame = String(s.largest);
    if (msg.type === "data" || msg.type === "frame") status.textContent = "";
    if (msg.type === "setup") onSetup(msg);
    else if (msg.type === "data") onData(msg);
    else if (msg.type === "frame") onFrame(msg);
    else if (msg.type === "past") onPast(msg);
    else if (msg.type === "graph") onGraph(msg);
    else if (msg.type === "lr") lr.value = msg.value;
    else if (msg.type === "error") { status.textContent = msg.text; s.inflight = 0; s.playing = false; showPlay(); }
  });

  function onSetup(msg) {
    s.setup = msg;
    s.net = msg.network;
    lr.value = msg.lr;
    dataset.innerHTML = "";
    el("option", { value: "", text: "(yours)" }, dataset);
    for (const name of msg.presets) el("option", { value: name, text: name }, dataset);
    dataset.value = msg.presets.includes(msg.dataset) ? msg.dataset : "";
    dataLabel.hidden = saved || msg.presets.length === 0;
    classBox.innerHTML = "";
    if (msg.classes) {
      classBox.appendChild(document.createTextNode("click adds "));
      msg.classes.forEach((c, k) => {
        const b = el("button", { class: "sgs-class", "data-class": String(c), text: String(c) }, classBox);
        b.style.borderColor = classColor(c);
        b.addEventListener("click", () => { s.chosen = c; markChosen(); });
      });
      s.chosen = msg.classes[msg.classes.length - 1];
      markChosen();
    }
    dataTitle.textContent = msg.features === 2
      ? (saved ? "data and the model's output; click a point to select it" : "data and the model's output; click: select a point or add one")
      : msg.features === 1
        ? "output (dots) and target (rings) against the input"
        : "each sample's output (dots) and target (rings)";
    if (!s.net) {
      netTitle.textContent = "parameters: each one's value (the model has no layers to draw)";
      legend.textContent = "blue: positive, orange: negative; taller: larger |w|. Hover or click a bar.";
    }
    buildNetwork();
  }

  function onData(msg) {
    if (msg.versions) msg.versions.forEach((v, k) => { s.versions[k] = v; });
    s.versions[msg.version] = { X: msg.X, y: msg.y };
    s.records = msg.records;
    s.selected = msg.selected;
    if (msg.bounds) s.bounds = msg.bounds;
    s.latest = stateOf(msg, msg.steps);
    if (s.view && s.view.step > msg.steps) s.view = null;
    if (msg.lr !== undefined) lr.value = msg.lr;
    schedule();
  }

  // One step's state: its parameters and gradients; for a model the script cannot run (not
  // an MLP, Layer or Neuron), also its outputs on the points and over the plane, from Python.
  function stateOf(msg, step) {
    return {
      step, params: floats(msg.params), grads: floats(msg.grads), version: msg.version,
      outputs: floats(msg.outputs), grid: floats(msg.grid),
    };
  }

  function onFrame(msg) {
    for (const r of msg.records) s.records[r[0] - 1] = r;
    s.records.length = msg.step;
    s.latest = stateOf(msg, msg.step);
    s.view = null;
    s.inflight = Math.max(0, s.inflight - 1);
    schedule();
    if (s.playing && !saved) next();
  }

  // Draw once per animation frame, whatever arrived since the last: frames that come faster
  // than the browser paints are not drawn twice.
  function schedule() {
    if (s.scheduled) return;
    s.scheduled = true;
    requestAnimationFrame(() => { s.scheduled = false; redraw(); });
  }

  function onPast(msg) {
    if (!s.versions[msg.version]) s.versions[msg.version] = { X: msg.X, y: msg.y };
    s.view = stateOf(msg, msg.step);
    redraw();
  }

  function onGraph(msg) {
    graphBox.hidden = false;
    if (msg.error) {
      graphTitle.textContent = msg.error;
      frame.removeAttribute("srcdoc");
      return;
    }
    graphTitle.textContent = `sample ${msg.sample}: its loss at step ${msg.step ?? current().step}, ` +
      "forward, error, backward and update (keys or the slider inside move a frame)";
    frame.srcdoc = msg.html;
  }

  // ---- what the user does ----

  // Playing live keeps IN_FLIGHT requests for a frame on their way: the kernel answers one
  // while the page draws the last, and never has more than IN_FLIGHT waiting.
  const IN_FLIGHT = 2;

  function next() {
    if (!s.playing) return;
    if (saved) return replay();
    while (s.inflight < IN_FLIGHT) {
      s.inflight += 1;
      transport.send({ type: "play", steps: Number(speed.value) });
    }
  }

  function replay() {  // a saved run: the recorded steps, one frame every 40 ms
    if (s.replaying) return;
    s.replaying = true;
    const tick = () => {
      const k = current().step;
      if (!s.playing || k >= s.latest.step) {
        s.replaying = false;
        s.playing = false;
        showPlay();
        return;
      }
      transport.send({ type: "show", step: Math.min(s.latest.step, k + Number(speed.value)) });
      setTimeout(tick, 40);
    };
    tick();
  }

  function showPlay() { play.textContent = s.playing ? "❚❚ pause" : "▶ play"; }

  play.addEventListener("click", () => {
    s.playing = !s.playing;
    showPlay();
    if (s.playing) {
      if (saved && current().step >= s.latest.step) transport.send({ type: "show", step: 0 });
      next();
    }
  });
  one.addEventListener("click", () => {
    if (saved) transport.send({ type: "show", step: Math.min(s.latest.step, current().step + 1) });
    else transport.send({ type: "step" });
  });
  reset.addEventListener("click", () => { s.playing = false; showPlay(); transport.send({ type: "reset" }); });
  lr.addEventListener("change", () => {
    const v = Number(lr.value);
    if (lr.value !== "" && isFinite(v) && v >= 0) transport.send({ type: "lr", value: v });
  });
  dataset.addEventListener("change", () => {
    if (dataset.value) transport.send({ type: "dataset", name: dataset.value });
  });
  function showStep(k) {
    s.playing = false;
    showPlay();
    k = Math.max(0, Math.min(s.latest.step, k));
    timeline.value = String(k);  // at once, so a second key press counts from here
    if (k >= s.latest.step) { s.view = null; redraw(); }
    else transport.send({ type: "show", step: k });
  }
  timeline.addEventListener("input", () => showStep(Number(timeline.value)));

  // Keys, while the view has the focus (click it): space plays or pauses, the arrows move the
  // timeline a step back or forward. Inputs and menus keep their own keys.
  root.tabIndex = 0;
  root.addEventListener("keydown", (event) => {
    if (!s.latest || event.target.closest("input, select, textarea")) return;
    if (event.key === " ") play.click();
    else if (event.key === "ArrowLeft") showStep(Number(timeline.value) - 1);
    else if (event.key === "ArrowRight") showStep(Number(timeline.value) + 1);
    else return;
    event.preventDefault();
  });
  remove.addEventListener("click", () => transport.send({ type: "remove", index: s.selected }));
  graphButton.addEventListener("click", () => {
    graphBox.hidden = false;
    graphTitle.textContent = "building the graph…";
    transport.send({ type: "graph", step: s.view ? s.view.step : null });
  });
  plane.addEventListener("click", (event) => {
    if (!s.setup || !s.bounds || saved && s.setup.features !== 2) return;
    const rect = plane.getBoundingClientRect();
    const px = (event.clientX - rect.left) * (plane.width / rect.width);
    const py = (event.clientY - rect.top) * (plane.height / rect.height);
    const hit = pointAt(px, py);
    if (hit !== null) {
      s.selected = hit;
      redraw();
      transport.send({ type: "select", index: hit });
    } else if (!saved && s.setup.classes && s.setup.features === 2) {
      const [x0, x1, y0, y1] = s.bounds;
      const x = [x0 + (px / plane.width) * (x1 - x0), y1 - (py / plane.height) * (y1 - y0)];
      transport.send({ type: "add", x, target: s.chosen });
    }
  });

  function markChosen() {
    for (const b of classBox.querySelectorAll(".sgs-class")) {
      b.classList.toggle("sgs-on", b.dataset.class === String(s.chosen));
    }
  }

  // ---- drawing ----

  function current() { return s.view || s.latest; }
  function data() { return s.versions[current().version] || s.versions[s.latest.version]; }
  function classColor(c) {
    if (!s.setup) return "#444";
    if (s.setup.outputs > 1) return CLASS_COLORS[Number(c) % CLASS_COLORS.length];
    return Number(c) > 0 ? rgb(POSITIVE, 1) : rgb(NEGATIVE, 1);
  }

  function redraw() {
    if (!s.setup || !s.latest) return;
    const started = performance.now();
    const now = current();
    const d = data();
    if (!d) return;
    if (s.selected >= d.X.length) s.selected = d.X.length - 1;
    timeline.max = String(s.latest.step);
    timeline.value = String(now.step);
    counter.textContent = `step ${now.step}` + (s.view ? ` (of ${s.latest.step})` : "");
    const rec = s.records[now.step - 1];
    lossText.textContent = rec ? `loss ${fmt(rec[1])}` + (rec[2] !== null ? `  accuracy ${(100 * rec[2]).toFixed(1)}%` : "") : "loss –";
    timeText.textContent = s.view ? `showing step ${now.step}; drag right to come back` : "newest step";
    drawNetwork(now, d);
    drawPlane(now, d);
    drawCurve(now.step);
    drawInfo(now, d);
    if (now.step !== s.lastDrawnStep) {
      s.lastDrawnStep = now.step;
      s.drawn += 1;
      root.dataset.frames = String(s.drawn);
    }
    root.dataset.step = String(now.step);
    root.dataset.drawMs = (performance.now() - started).toFixed(1);
  }

  function buildNetwork() {
    svg.innerHTML = "";
    s.edges = [];
    s.nodes = [];
    if (!s.net) return buildBars();
    const sizes = s.net.sizes;
    const W = 440, H = 300, pad = 24;
    const xs = sizes.map((_, l) => pad + (l * (W - 2 * pad)) / (sizes.length - 1));
    const ys = sizes.map((n) => Array.from({ length: n }, (_, j) => (n === 1 ? H / 2 : pad + (j * (H - 2 * pad)) / (n - 1))));
    const edgeLayer = el("g", {}, svg, NS);
    const nodeLayer = el("g", {}, svg, NS);
    let offset = 0;
    for (let l = 1; l < sizes.length; l++) {
      const nin = sizes[l - 1];
      for (let j = 0; j < sizes[l]; j++) {
        for (let i = 0; i < nin; i++) {
          const line = el("line", { x1: xs[l - 1], y1: ys[l - 1][i], x2: xs[l], y2: ys[l][j], class: "sgs-edge", "data-k": offset + i }, edgeLayer, NS);
          s.edges.push({ line, k: offset + i });
        }
        offset += nin + 1;
      }
    }
    const r = Math.max(3, Math.min(9, (H - 2 * pad) / (2.6 * Math.max(...sizes))));
    sizes.forEach((n, l) => {
      const name = l === 0 ? "inputs" : l === sizes.length - 1 ? `output (${s.net.activations[l - 1]})` : `layer ${l} (${s.net.activations[l - 1]})`;
      const anchor = l === 0 ? "start" : l === sizes.length - 1 ? "end" : "middle";
      el("text", { x: xs[l], y: H - 4, "text-anchor": anchor, class: "sgs-layer-name" }, svg, NS).textContent = name;
    });
    offset = 0;
    sizes.forEach((n, l) => {
      for (let j = 0; j < n; j++) {
        const k = l === 0 ? null : offset + j * (sizes[l - 1] + 1) + sizes[l - 1];
        const c = el("circle", { cx: xs[l], cy: ys[l][j], r, class: "sgs-neuron", "data-layer": l, "data-j": j }, nodeLayer, NS);
        s.nodes.push({ c, l, j, k });
      }
      if (l > 0) offset += n * (sizes[l - 1] + 1);
    });
    for (const e of s.edges) {
      e.line.addEventListener("mouseenter", () => showTip(e.k));
      e.line.addEventListener("click", () => { s.pinned = e.k; showTip(e.k); });
    }
    for (const n of s.nodes) {
      if (n.k === null) continue;
      n.c.addEventListener("mouseenter", () => showTip(n.k, n));
      n.c.addEventListener("click", () => { s.pinned = n.k; showTip(n.k, n); });
    }
    svg.addEventListener("mouseleave", () => { if (s.pinned !== null) showTip(s.pinned); else tip.textContent = ""; });
  }

  function showTip(k, neuron) {
    const now = current();
    const name = s.setup.names[k];
    const g = now.grads ? fmt(now.grads[k]) : "– (no step yet)";
    let text = `${name} = ${fmt(now.params[k])}   grad ${g}`;
    if (neuron) {
      const d = data();
      const acts = forward(s.net, now.params, d.X[s.selected]);
      text = `neuron ${neuron.j} of layer ${neuron.l}: activation ${fmt(acts[neuron.l][neuron.j])} for sample ${s.selected}\n` + `bias ${text}`;
    }
    tip.textContent = text;
    tip.dataset.k = String(k);
  }

  function drawNetwork(now, d) {
    const p = now.params;
    if (!s.net) return drawBars(now);
    let largest = 1e-12;
    for (const e of s.edges) largest = Math.max(largest, Math.abs(p[e.k]));
    for (const e of s.edges) {
      const w = p[e.k];
      const size = Math.sqrt(Math.abs(w) / largest);
      e.line.setAttribute("stroke", rgb(w >= 0 ? POSITIVE : NEGATIVE, 0.15 + 0.75 * size));
      e.line.setAttribute("stroke-width", (0.3 + 4 * size).toFixed(2));
    }
    const acts = forward(s.net, p, d.X[s.selected]);
    for (const n of s.nodes) {
      const layer = acts[n.l];
      let top = 1e-12;
      for (const a of layer) top = Math.max(top, Math.abs(a));
      const a = layer[n.j];
      n.c.setAttribute("fill", rgb(a >= 0 ? POSITIVE : NEGATIVE, Math.min(1, Math.abs(a) / top)));
    }
    if (s.pinned !== null) showTip(s.pinned);
  }

  // The model's output over the plane: a GRID x GRID image, scaled up smoothly, with the
  // decision boundary (output 0, or where the arg-max class changes) traced over it.
  function drawPlane(now, d) {
    const ctx = plane.getContext("2d");
    const W = plane.width, H = plane.height;
    ctx.clearRect(0, 0, W, H);
    const setup = s.setup;
    if (setup.features !== 2 || !s.bounds) return drawOutputs(now, d, ctx);
    const G = setup.grid;
    const [x0, x1, y0, y1] = s.bounds;
    const K = out0Length();
    if (!s.net && !now.grid) return drawPoints(ctx, d);  // a saved run of such a model
    const values = new Float64Array(G * G);
    const labels = new Int32Array(G * G);
    const logits = new Float64Array(G * G * K);
    const image = new ImageData(G, G);
    for (let r = 0; r < G; r++) {
      for (let c = 0; c < G; c++) {
        const x = [x0 + ((c + 0.5) / G) * (x1 - x0), y1 - ((r + 0.5) / G) * (y1 - y0)];
        const at = r * G + c;
        const out = s.net ? forward(s.net, now.params, x)[s.net.sizes.length - 1] : Array.from(now.grid.subarray(at * K, (at + 1) * K));
        let color, alpha;
        if (out.length === 1) {
          const v = out[0];
          values[at] = setup.kind === "mse" ? v - middleTarget(d) : v;
          color = values[at] >= 0 ? POSITIVE : NEGATIVE;
          alpha = 0.12 + 0.5 * Math.tanh(Math.abs(values[at]));
        } else {
          let best = 0;
          for (let k = 1; k < out.length; k++) if (out[k] > out[best]) best = k;
          for (let k = 0; k < K; k++) logits[at * K + k] = out[k];
          labels[at] = best;
          const hex = CLASS_COLORS[best % CLASS_COLORS.length];
          color = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
          alpha = 0.35;
        }
        image.data.set([color[0], color[1], color[2], Math.round(255 * alpha)], 4 * at);
      }
    }
    const small = document.createElement("canvas");
    small.width = G;
    small.height = G;
    small.getContext("2d").putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(small, 0, 0, W, H);
    ctx.strokeStyle = "#111";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    // Marching squares over the cell centres: where the output (or "is class k the
    // arg-max" for several outputs) changes sign along an edge, the boundary crosses it.
    const cw = W / G, ch = H / G;
    const several = out0Length() > 1;
    const level = (at, k) => {  // class k's logit over the best other: > 0 where k wins
      if (!several) return values[at];
      let other = -Infinity;
      for (let j = 0; j < K; j++) if (j !== k) other = Math.max(other, logits[at * K + j]);
      return logits[at * K + k] - other;
    };
    const kinds = several ? [...new Set(labels)] : [null];
    for (const k of kinds) {
      for (let r = 0; r + 1 < G; r++) {
        for (let c = 0; c + 1 < G; c++) {
          const corners = [[r, c], [r, c + 1], [r + 1, c + 1], [r + 1, c]];
          const v = corners.map(([i, j]) => level(i * G + j, k));
          const cross = [];
          for (let e = 0; e < 4; e++) {
            const a = v[e], b = v[(e + 1) % 4];
            if ((a < 0) === (b < 0)) continue;
            const t = a / (a - b);
            const [r0, c0] = corners[e], [r1, c1] = corners[(e + 1) % 4];
            cross.push([(c0 + t * (c1 - c0) + 0.5) * cw, (r0 + t * (r1 - r0) + 0.5) * ch]);
          }
          for (let e = 0; e + 1 < cross.length; e += 2) {
            ctx.moveTo(cross[e][0], cross[e][1]);
            ctx.lineTo(cross[e + 1][0], cross[e + 1][1]);
          }
        }
      }
    }
    ctx.stroke();
    drawPoints(ctx, d);
  }

  function drawPoints(ctx, d) {
    const order = d.X.map((_, i) => i).filter((i) => i !== s.selected).concat([s.selected]);
    for (const i of order) {  // the selected point last, on top, in a black ring
      const [px, py] = toPixel(d.X[i]);
      ctx.beginPath();
      ctx.arc(px, py, i === s.selected ? 6.5 : 4, 0, 2 * Math.PI);
      ctx.fillStyle = classColor(d.y[i]);
      ctx.fill();
      ctx.lineWidth = i === s.selected ? 3 : 1;
      ctx.strokeStyle = i === s.selected ? "#000" : "#fff";
      ctx.stroke();
    }
  }

  function setup1D() { return s.setup.features === 1; }

  function out0Length() { return s.setup.outputs; }

  // The model's outputs for sample i of the shown data: computed here from the parameters, or
  // sent by Python for a model the script cannot run.
  function sampleOutput(now, d, i) {
    if (s.net) return forward(s.net, now.params, d.X[i])[s.net.sizes.length - 1];
    const K = s.setup.outputs;
    return now.outputs && now.outputs.length >= (i + 1) * K ? Array.from(now.outputs.subarray(i * K, (i + 1) * K)) : [NaN];
  }

  // A model with no layers to draw: one bar per parameter, up for positive, down for negative.
  function buildBars() {
    const names = s.setup.names;
    const W = 440, H = 300, pad = 20;
    const step = (W - 2 * pad) / names.length;
    el("line", { x1: pad, x2: W - pad, y1: H / 2, y2: H / 2, stroke: "#cbd5e1" }, svg, NS);
    names.forEach((_, k) => {
      const bar = el("rect", { x: pad + k * step, width: Math.max(0.5, step * 0.8), class: "sgs-edge", "data-k": k }, svg, NS);
      bar.addEventListener("mouseenter", () => showTip(k));
      bar.addEventListener("click", () => { s.pinned = k; showTip(k); });
      s.edges.push({ line: bar, k });
    });
    el("text", { x: pad, y: H - 4, class: "sgs-layer-name" }, svg, NS).textContent =
      `${names.length} parameters, in the model's order`;
  }

  function drawBars(now) {
    const H = 300, pad = 20;
    let largest = 1e-12;
    for (const e of s.edges) largest = Math.max(largest, Math.abs(now.params[e.k]));
    for (const e of s.edges) {
      const w = now.params[e.k];
      const h = (Math.abs(w) / largest) * (H / 2 - pad);
      e.line.setAttribute("y", String(w >= 0 ? H / 2 - h : H / 2));
      e.line.setAttribute("height", String(Math.max(0.5, h)));
      e.line.setAttribute("fill", rgb(w >= 0 ? POSITIVE : NEGATIVE, 0.85));
    }
    if (s.pinned !== null) showTip(s.pinned);
  }

  function middleTarget(d) {
    let lo = Infinity, hi = -Infinity;
    for (const t of d.y) { lo = Math.min(lo, t); hi = Math.max(hi, t); }
    return (lo + hi) / 2;
  }

  // Inputs that are not a plane: one column per sample, its target (ring) and output (dot).
  function drawOutputs(now, d, ctx) {
    const W = plane.width, H = plane.height;
    const outs = d.X.map((_, i) => sampleOutput(now, d, i));
    const shown = outs.map((o, i) => (o.length === 1 ? o[0] : o[d.y[i]]));
    let lo = Math.min(...shown, ...d.y.map(Number)), hi = Math.max(...shown, ...d.y.map(Number));
    if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
    const yOf = (v) => H - 12 - ((v - lo) / (hi - lo)) * (H - 24);
    ctx.strokeStyle = "#ccc";
    ctx.beginPath();
    ctx.moveTo(0, yOf(0));
    ctx.lineTo(W, yOf(0));
    ctx.stroke();
    s.outputPixels = [];
    let xlo = Infinity, xhi = -Infinity;
    for (const x of d.X) { xlo = Math.min(xlo, x[0]); xhi = Math.max(xhi, x[0]); }
    if (xhi - xlo < 1e-12) { xlo -= 1; xhi += 1; }
    d.X.forEach((row, i) => {
      const x = setup1D() ? 8 + ((row[0] - xlo) / (xhi - xlo)) * (W - 16) : 8 + ((i + 0.5) / d.X.length) * (W - 16);
      ctx.beginPath();
      ctx.arc(x, yOf(Number(d.y[i])), 4, 0, 2 * Math.PI);
      ctx.strokeStyle = "#999";
      ctx.stroke();
      ctx.beginPath();
      ctx.arc(x, yOf(shown[i]), i === s.selected ? 5 : 3, 0, 2 * Math.PI);
      ctx.fillStyle = i === s.selected ? "#000" : "#2563eb";
      ctx.fill();
      s.outputPixels.push([x, yOf(shown[i])]);
    });
  }

  function toPixel(x) {
    const [x0, x1, y0, y1] = s.bounds;
    return [((x[0] - x0) / (x1 - x0)) * plane.width, ((y1 - x[1]) / (y1 - y0)) * plane.height];
  }

  function pointAt(px, py) {
    const d = data();
    let best = null, bestDistance = 8 * 8;
    d.X.forEach((x, i) => {
      const [qx, qy] = s.setup.features === 2 ? toPixel(x) : s.outputPixels[i];
      const dd = (qx - px) ** 2 + (qy - py) ** 2;
      if (dd <= bestDistance) { best = i; bestDistance = dd; }
    });
    return best;
  }

  function drawCurve(step) {
    const ctx = curve.getContext("2d");
    const W = curve.width, H = curve.height, left = 34, bottom = 16;
    ctx.clearRect(0, 0, W, H);
    const recs = s.records;
    let top = 1e-12;
    for (const r of recs) if (r && r[1] !== null && isFinite(r[1])) top = Math.max(top, r[1]);
    const n = Math.max(1, recs.length);
    const xOf = (k) => left + ((k - 1) / Math.max(1, n - 1)) * (W - left - 6);
    const yOf = (v) => 6 + (1 - v / top) * (H - bottom - 6);
    ctx.fillStyle = "#666";
    ctx.font = "10px sans-serif";
    ctx.fillText(fmt(top).replace(/0+$/, ""), 2, 12);
    ctx.fillText("0", 2, H - bottom);
    ctx.fillText(`${n} steps`, W - 50, H - 3);
    ctx.strokeStyle = "#ddd";
    ctx.strokeRect(left, 6, W - left - 6, H - bottom - 6);
    const line = (pick, color) => {
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      let started = false;
      for (const r of recs) {
        if (!r) continue;
        const v = pick(r);
        if (v === null || !isFinite(v)) continue;
        const x = xOf(r[0]), y = yOf(v);
        if (started) ctx.lineTo(x, y); else ctx.moveTo(x, y);
        started = true;
      }
      ctx.stroke();
    };
    line((r) => r[1], "#b91c1c");
    line((r) => (r[2] === null ? null : r[2] * top), "#16a34a");
    if (step > 0) {
      ctx.strokeStyle = "#111";
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(xOf(step), 6);
      ctx.lineTo(xOf(step), H - bottom);
      ctx.stroke();
    }
  }

  function drawInfo(now, d) {
    const x = d.X[s.selected];
    const out = sampleOutput(now, d, s.selected);
    info.textContent =
      `selected: sample ${s.selected} of ${d.X.length}\n` +
      `x = [${x.map((v) => fmt(v)).join(", ")}]  target ${s.setup.classes ? d.y[s.selected] : fmt(d.y[s.selected])}\n` +
      `output ${out.map((v) => fmt(v)).join(", ")}\n` +
      `${s.setup.loss}, ${s.setup.optimizer}(lr=${lr.value})`;
  }

  transport.send({ type: "hello" });
  return root;
}

// ---- a saved run: the same view, answered from the recorded parameters ----

function savedTransport(run) {
  const P = run.setup.names.length;
  const outputsAt = (k) => (run.outputs ? run.outputs[k] : undefined);
  const params = floats(run.params);
  const grads = floats(run.grads);
  const steps = run.records.length;
  let listener = null;
  const b64 = (array) => {
    let text = "";
    const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(text);
  };
  const at = (k) => params.subarray(k * P, (k + 1) * P);
  const gradAt = (k) => (k > 0 && grads ? grads.subarray((k - 1) * P, k * P) : null);
  const versionAt = (k) => (k > 0 ? run.records[k - 1][3] : 0);
  return {
    onMessage(fn) { listener = fn; },
    send(msg) {
      const reply = (m) => setTimeout(() => listener(m), 0);
      if (msg.type === "hello") {
        reply(Object.assign({}, run.setup, { presets: [] }));
        const v = run.versions[versionAt(steps)];
        reply({
          type: "data", version: versionAt(steps), versions: run.versions, X: v.X, y: v.y,
          selected: run.selected, bounds: run.bounds, steps, records: run.records,
          params: b64(at(steps)), grads: gradAt(steps) && b64(gradAt(steps)),
          outputs: outputsAt(steps),
        });
      } else if (msg.type === "show") {
        const k = Math.max(0, Math.min(steps, msg.step));
        if (k === steps) {
          reply({ type: "frame", step: steps, records: [], params: b64(at(steps)), grads: gradAt(steps) && b64(gradAt(steps)), version: versionAt(steps), outputs: outputsAt(steps) });
        } else {
          const v = run.versions[versionAt(k)];
          reply({ type: "past", step: k, version: versionAt(k), X: v.X, y: v.y, params: b64(at(k)), grads: gradAt(k) && b64(gradAt(k)), outputs: outputsAt(k) });
        }
      }
    },
  };
}

export function startSaved(root, run) {
  return makeView(root, savedTransport(run), true);
}

function render({ model, el: root }) {
  const listeners = [];
  const handler = (msg) => { for (const fn of listeners) fn(msg); };
  model.on("msg:custom", handler);
  const transport = { send: (msg) => model.send(msg), onMessage: (fn) => listeners.push(fn) };
  makeView(root, transport, false);
  return () => model.off("msg:custom", handler);
}

export default { render };
