// The selected sample's graph, zoomed to what a learner can read. First the neurons: one box per
// neuron with its pre-activation z, its activation a and the gradient ∂L/∂a arriving at it,
// weights as edges coloured and sized by this sample's gradient ∂L/∂w, and the error at the
// output (the sample's loss and ∂L/∂output). A click on a neuron opens its own scalar ops, the
// animated page Python makes for it (forward, error, backward, update; each phase label a
// button), in place of the neurons; "← all neurons" comes back. It follows the timeline: the
// numbers are the shown step's, and an open neuron is asked for again at each step shown.

import { NS, el, fmt, inputLabel, nearestEdge, paintEdges, pointerIn, rgba, signColor, sizeStage } from "./common.js";

const BOX_W = 172, BOX_H = 38, GAP_Y = 8, COLUMN_GAP = 64, PAD = 16, HEAD = 22;
const PLAYING_EVERY = 100;  // ms between redraws while playing: numbers to read, not a film

export function graphPane(box, hooks) {
  const bar = el("div", { class: "sgs-graph-bar" }, box);
  const back = el("button", { class: "sgs-graph-back", text: "← all neurons", hidden: "" }, bar);
  const title = el("span", { class: "sgs-title sgs-graph-title" }, bar);
  const whole = el("button", { class: "sgs-graph", text: "whole scalar graph" }, bar);
  const scroller = el("div", { class: "sgs-graph-scroll" }, box);
  const stage = el("div", { class: "sgs-graph-stage" }, scroller);
  const canvas = el("canvas", { class: "sgs-graph-edges" }, stage);
  const svg = el("svg", { class: "sgs-neurons" }, stage, NS);
  const frame = el("iframe", { class: "sgs-frame", sandbox: "allow-scripts", title: "a neuron's scalar ops", hidden: "" }, box);
  const tip = el("div", { class: "sgs-tip sgs-graph-tip" }, box);

  const s = {
    setup: null, net: null, boxes: [], edges: [], open: null, asked: null, timer: null,
    frameIndex: 0, last: null, drawnAt: 0, later: null, visible: true,
  };
  if (window.IntersectionObserver) {  // no drawing while the pane is scrolled out of view
    new IntersectionObserver((entries) => {
      s.visible = entries.some((e) => e.isIntersecting);
      if (s.visible && s.last) paint(s.last);
    }).observe(box);
  }

  back.addEventListener("click", () => close());
  svg.addEventListener("mousemove", (event) => {
    if (event.target.closest(".sgs-nbox")) return;
    const edge = nearestEdge(s.edges, ...pointerIn(svg, event));
    if (edge) edgeTip(edge);
  });
  whole.addEventListener("click", () => {
    s.open = { whole: true };
    showOps("building the whole scalar graph of the sample…");
    hooks.send({ type: "graph", step: hooks.shownStep() });
  });
  window.addEventListener("message", (event) => {  // the animated page tells which frame it shows
    if (event.source === frame.contentWindow && event.data && event.data.stepgrad === "frame") s.frameIndex = event.data.index;
  });
  frame.addEventListener("load", () => {
    if (s.frameIndex > 0) frame.contentWindow.postMessage({ stepgrad: "go", index: s.frameIndex }, "*");
  });

  function setup(msg) {
    s.setup = msg;
    s.net = msg.network;
    close();
    svg.innerHTML = "";
    s.boxes = [];
    s.edges = [];
    whole.hidden = hooks.saved;
    if (!s.net) {
      title.textContent = "this model has no layers of neurons to show; its whole scalar graph is one click away";
      return;
    }
    build();
  }

  function build() {
    const sizes = s.net.sizes;
    const tallest = Math.max(...sizes);
    const W = PAD * 2 + sizes.length * BOX_W + sizes.length * COLUMN_GAP + 150;
    const H = HEAD + PAD * 2 + tallest * (BOX_H + GAP_Y);
    sizeStage(s, svg, canvas, stage, W, H);
    const xOf = (l) => PAD + l * (BOX_W + COLUMN_GAP);
    const yOf = (l, j) => HEAD + PAD + ((tallest - sizes[l]) * (BOX_H + GAP_Y)) / 2 + j * (BOX_H + GAP_Y);
    const boxLayer = el("g", {}, svg, NS);
    let offset = 0;
    for (let l = 1; l < sizes.length; l++) {
      for (let j = 0; j < sizes[l]; j++) {
        for (let i = 0; i < sizes[l - 1]; i++) {
          s.edges.push({
            x1: xOf(l - 1) + BOX_W, y1: yOf(l - 1, i) + BOX_H / 2, x2: xOf(l), y2: yOf(l, j) + BOX_H / 2,
            k: offset + i, layer: l, from: i, to: j, color: "#ccc", width: 1,
          });
        }
        offset += sizes[l - 1] + 1;
      }
      const name = l === sizes.length - 1 ? "output" : `layer ${l}`;
      el("text", { x: xOf(l) + BOX_W / 2, y: HEAD, "text-anchor": "middle", class: "sgs-layer-name" }, svg, NS).textContent =
        `${name} (${s.net.activations[l - 1]})`;
    }
    el("text", { x: xOf(0) + BOX_W / 2, y: HEAD, "text-anchor": "middle", class: "sgs-layer-name" }, svg, NS).textContent = "inputs";
    let neuron = 0;
    sizes.forEach((n, l) => {
      for (let j = 0; j < n; j++) {
        const g = el("g", { class: l ? "sgs-nbox sgs-clickable" : "sgs-nbox sgs-ibox", "data-layer": l - 1, "data-j": j, transform: `translate(${xOf(l)},${yOf(l, j)})` }, boxLayer, NS);
        const rect = el("rect", { width: BOX_W, height: BOX_H, rx: 4 }, g, NS);
        const stripe = el("rect", { width: 5, height: BOX_H, rx: 2 }, g, NS);
        const top = el("text", { x: 10, y: 15 }, g, NS);
        const bottom = el("text", { x: 10, y: 31 }, g, NS);
        const item = { g, rect, stripe, top, bottom, layer: l, j, neuron: l ? neuron : null };
        if (l) {
          g.addEventListener("click", () => open(l - 1, j));
          g.addEventListener("mouseenter", () => boxTip(item));
          neuron += 1;
        }
        s.boxes.push(item);
      }
    });
    const last = sizes.length - 1;
    const error = el("g", { class: "sgs-error-box", transform: `translate(${xOf(last) + BOX_W + 40},${HEAD + PAD})` }, boxLayer, NS);
    el("rect", { width: 150, height: 74, rx: 4 }, error, NS);
    s.errorText = [0, 1, 2, 3].map((k) => el("text", { x: 8, y: 16 + 16 * k }, error, NS));
    el("text", { x: xOf(last) + BOX_W + 40, y: HEAD, class: "sgs-layer-name" }, svg, NS).textContent = "error";
  }

  function boxTip(item) {
    const v = s.last;
    if (!v) return;
    const n = item.neuron, b = v.buffers;
    tip.textContent = `layers.${item.layer - 1}.neurons.${item.j}: z = w·x + b = ${fmt(b.sample_z[n])}, ` +
      `a = ${s.net.activations[item.layer - 1]}(z) = ${fmt(b.sample_a[n])}, ∂L/∂a = ${fmt(b.sample_grad_a[n])}, ` +
      `∂L/∂z = ${fmt(b.sample_grad_z[n])}. Click to open its scalar ops.`;
  }

  function edgeTip(edge) {
    const v = s.last;
    if (!v) return;
    const b = v.buffers;
    const names = s.setup.names;
    tip.textContent = `${names[edge.k]} = ${fmt(b.params[edge.k])}: this sample's ∂L/∂w = x·∂L/∂z = ${fmt(b.sample_grad_params[edge.k])}`;
  }

  function open(layer, index) {
    if (hooks.saved) {
      tip.textContent = "a saved page has no kernel to build a neuron's scalar ops; they open in the live Studio";
      return;
    }
    s.open = { layer, index };
    s.frameIndex = 0;
    showOps(`building neuron ${index} of layer ${layer + 1}…`);
    ask();
  }

  function ask() {  // the open neuron at the shown step; scrubbing asks once it settles
    clearTimeout(s.timer);
    s.timer = setTimeout(() => {
      if (!s.open || s.open.whole) return;
      const step = hooks.shownStep();
      s.asked = step;
      hooks.send({ type: "neuron", layer: s.open.layer, index: s.open.index, step });
    }, 60);
  }

  function showOps(text) {
    back.hidden = false;
    scroller.hidden = true;
    frame.hidden = false;
    title.textContent = text;
    box.dataset.level = "ops";
  }

  function close() {
    s.open = null;
    back.hidden = true;
    scroller.hidden = false;
    frame.hidden = true;
    frame.removeAttribute("srcdoc");
    box.dataset.level = "neurons";
    if (s.last) paint(s.last);
  }

  function onGraph(msg) {
    if (!s.open) return;
    if (msg.error) {
      title.textContent = msg.error;
      frame.removeAttribute("srcdoc");
      return;
    }
    title.textContent = msg.layer === undefined
      ? `sample ${msg.sample}: its whole scalar graph at step ${msg.step} (forward, error, backward, update)`
      : `neuron ${msg.index} of layer ${msg.layer + 1}, sample ${msg.sample}, step ${msg.step}: ` +
        "its scalar ops; click a phase (forward, error, backward, update) or use the keys inside";
    box.dataset.step = String(msg.step);
    frame.srcdoc = msg.html;
  }

  // While playing, at most every PLAYING_EVERY ms (the newest frame always lands); otherwise
  // at once.
  function draw(v, playing = false) {
    s.last = v;
    clearTimeout(s.later);
    if (!s.visible) return;
    const wait = s.drawnAt + PLAYING_EVERY - performance.now();
    if (playing && wait > 0) {
      s.later = setTimeout(() => paint(s.last), wait);
      return;
    }
    paint(v);
  }

  function paint(v) {
    s.drawnAt = performance.now();
    if (!s.net || !v.buffers.sample_a) return;
    if (s.open && !s.open.whole && s.asked !== hooks.shownStep()) ask();
    if (s.open) return;
    const b = v.buffers, sample = v.header.sample, palette = s.setup.palette;
    box.dataset.step = String(v.header.step);
    title.textContent = `sample ${sample.index} at step ${v.header.step}, neuron by neuron: ` +
      "z (pre-activation), a (activation), ∂L/∂a (the gradient arriving); edges: this sample's ∂L/∂w. Click a neuron.";
    let largest = 1e-30;
    for (const e of s.edges) largest = Math.max(largest, Math.abs(b.sample_grad_params[e.k]) || 0);
    for (const e of s.edges) {
      const g = b.sample_grad_params[e.k];
      const size = Math.sqrt(Math.abs(g) / largest) || 0;
      e.color = rgba(signColor(palette, g), 0.1 + 0.8 * size);
      e.width = 0.3 + 3 * size;
    }
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, s.width, s.height);
    paintEdges(ctx, s.edges);
    for (const item of s.boxes) {
      if (item.neuron === null) {
        const k = item.j;
        item.top.textContent = `${inputLabel(s.net.inputs[k])} = ${fmt(sample.inputs[k])}`;
        item.bottom.textContent = `∂L/∂x = ${fmt(b.sample_grad_inputs[k])}`;
        item.stripe.setAttribute("fill", signColor(palette, sample.inputs[k]));
        continue;
      }
      const n = item.neuron;
      item.top.textContent = `z ${fmt(b.sample_z[n])}  a ${fmt(b.sample_a[n])}`;
      item.bottom.textContent = `∂L/∂a ${fmt(b.sample_grad_a[n])}`;
      item.bottom.setAttribute("fill", signColor(palette, b.sample_grad_a[n]));
      item.stripe.setAttribute("fill", signColor(palette, b.sample_a[n]));
    }
    const outputs = sample.outputs.map(fmt).join(", ");
    const first = s.net.sizes.slice(1).reduce((a, b) => a + b, 0) - sample.outputs.length;
    const slopes = sample.outputs.map((_, k) => fmt(b.sample_grad_a[first + k])).join(", ");
    s.errorText[0].textContent = `loss L = ${fmt(sample.loss)}`;
    s.errorText[1].textContent = `target ${sample.target}`;
    s.errorText[2].textContent = `output ${outputs}`;
    s.errorText[3].textContent = `∂L/∂output ${slopes}`;
  }

  return { setup, draw, onGraph, close, open };
}
