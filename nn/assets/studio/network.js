// The network pane, as TensorFlow Playground draws one: the input features in a column (click
// one to use it or not), each neuron as a small heat map of its output over the input plane,
// weights as edges coloured by sign and sized by magnitude, each node's border the selected
// sample's activation; + and − add and remove layers and neurons, between runs. Every number
// comes from Python's frame; this module only draws it and sends what the user changed.

import { NS, el, fmt, inputLabel, nearestEdge, paintEdges, paintMap, pointerIn, ramp, rgba, signColor, sizeStage } from "./common.js";

const NODE = 18;  // a neuron's square, in pixels
const PITCH = 23;  // from one neuron to the next in a column
const TOP = 54;  // room for the + and − above the hidden layers
const BOTTOM = 24;
const LEFT = 58;  // room for the input labels
const RIGHT = 64;  // room for the output layer's name

export function networkPane(box, hooks) {
  const head = el("div", { class: "sgs-net-head" }, box);
  const layerControls = el("span", { class: "sgs-field sgs-layers" }, head);
  el("span", { text: "hidden layers " }, layerControls);
  const fewer = el("button", { class: "sgs-layer-minus", title: "one hidden layer less", text: "−" }, layerControls);
  const more = el("button", { class: "sgs-layer-plus", title: "one hidden layer more", text: "+" }, layerControls);
  const count = el("span", { class: "sgs-layer-count" }, layerControls);
  const actLabel = el("label", { class: "sgs-field", text: "activation " }, head);
  const activation = el("select", { class: "sgs-activation" }, actLabel);
  const mapsLabel = el("label", { class: "sgs-field", text: " heat maps" }, head);
  const mapsBox = el("input", { class: "sgs-maps", type: "checkbox" }, null);
  mapsLabel.prepend(mapsBox);
  const stage = el("div", { class: "sgs-net-stage" }, box);
  const canvas = el("canvas", { class: "sgs-net-maps" }, stage);
  const svg = el("svg", { class: "sgs-network" }, stage, NS);
  const controls = el("div", { class: "sgs-net-controls" }, stage);
  const legend = el("div", { class: "sgs-legend" }, box);
  const tip = el("div", { class: "sgs-tip" }, box);

  const s = { setup: null, net: null, nodes: [], edges: [], pinned: null, last: null, table: null, width: 0, height: 0 };

  fewer.addEventListener("click", () => hooks.editNetwork({ hidden: s.net.hidden.slice(0, -1) }));
  more.addEventListener("click", () => hooks.editNetwork({ hidden: [...s.net.hidden, 2] }));
  activation.addEventListener("change", () => hooks.editNetwork({ activation: activation.value }));
  mapsBox.addEventListener("change", () => hooks.send({ type: "maps", on: mapsBox.checked }));

  function setup(msg) {
    s.setup = msg;
    s.net = msg.network;
    s.table = ramp(msg.palette);
    s.pinned = null;
    tip.textContent = "";
    svg.innerHTML = "";
    controls.innerHTML = "";
    s.nodes = [];
    s.edges = [];
    const editable = hooks.editable() && s.net && s.net.rebuildable;
    layerControls.hidden = !editable;
    actLabel.hidden = !editable;
    mapsLabel.hidden = !s.net || hooks.saved;
    if (!s.net) return buildBars();
    activation.innerHTML = "";
    for (const name of msg.activations) el("option", { value: name, text: name }, activation);
    activation.value = s.net.activations[0];
    count.textContent = ` ${s.net.hidden.length}`;
    fewer.disabled = s.net.hidden.length === 0;
    more.disabled = s.net.hidden.length >= msg.limits.layers;
    buildNetwork(editable);
    legend.textContent = "each square: that neuron's output over the input plane (blue positive, " +
      "orange negative); its border: the selected sample's activation; edges: weights by sign and " +
      "size. Hover for numbers; click a neuron to open its scalar ops below.";
  }

  function settings(msg) {
    mapsBox.checked = msg.maps;
  }

  // The input column: every feature the Playground offers when the inputs can change (the
  // ones in use are connected), else the model's own inputs.
  function inputColumn(editable) {
    const used = s.net.inputs;
    if (!editable || s.setup.features !== 2) return used.map((name) => ({ name, on: true }));
    return s.setup.inputs.map((name) => ({ name, on: used.includes(name) }));
  }

  function buildNetwork(editable) {
    const sizes = s.net.sizes;
    const inputs = inputColumn(editable);
    const columns = [inputs.length, ...sizes.slice(1)];
    const tallest = Math.max(...columns);
    const W = Math.max(420, LEFT + RIGHT + 110 * (columns.length - 1));
    const H = TOP + tallest * PITCH + BOTTOM;
    sizeStage(s, svg, canvas, stage, W, H);
    const xs = columns.map((_, l) => LEFT + (l * (W - LEFT - RIGHT - NODE)) / (columns.length - 1));
    const ys = columns.map((n) => Array.from({ length: n }, (_, j) => TOP + (tallest - n) * PITCH / 2 + j * PITCH));
    const nodeLayer = el("g", {}, svg, NS);
    // where each input the model reads sits in the drawn column
    const place = [];
    inputs.forEach((item, row) => { if (item.on) place.push(row); });
    let offset = 0;
    for (let l = 1; l < columns.length; l++) {
      const nin = sizes[l - 1];
      for (let j = 0; j < columns[l]; j++) {
        for (let i = 0; i < nin; i++) {
          const row = l === 1 ? place[i] : i;
          s.edges.push({
            x1: xs[l - 1] + NODE, y1: ys[l - 1][row] + NODE / 2, x2: xs[l], y2: ys[l][j] + NODE / 2,
            k: offset + i, layer: l, from: i, to: j, color: "#ccc", width: 1,
          });
        }
        offset += nin + 1;
      }
    }
    // the inputs: a square each (its value over the plane), labelled; a click toggles it
    let mapIndex = 0;
    inputs.forEach((item, row) => {
      const rect = el("rect", { x: xs[0], y: ys[0][row], width: NODE, height: NODE, class: "sgs-node sgs-input" + (item.on ? "" : " sgs-off"), "data-input": item.name }, nodeLayer, NS);
      el("text", { x: xs[0] - 6, y: ys[0][row] + NODE / 2 + 4, "text-anchor": "end", class: "sgs-input-name" + (item.on ? "" : " sgs-off") }, nodeLayer, NS).textContent = inputLabel(item.name);
      s.nodes.push({ rect, layer: 0, j: row, map: item.on ? mapIndex++ : null, input: item.name, on: item.on });
      if (editable) {
        rect.addEventListener("click", () => toggleInput(item.name));
        rect.classList.add("sgs-clickable");
      }
      rect.addEventListener("mouseenter", () => showTip({ input: item.name, on: item.on }));
    });
    let neuron = 0;
    offset = 0;
    for (let l = 1; l < columns.length; l++) {
      for (let j = 0; j < columns[l]; j++) {
        const rect = el("rect", { x: xs[l], y: ys[l][j], width: NODE, height: NODE, class: "sgs-node sgs-neuron", "data-layer": l - 1, "data-j": j }, nodeLayer, NS);
        const bias = offset + j * (sizes[l - 1] + 1) + sizes[l - 1];
        const node = { rect, layer: l, j, map: inputs.filter((x) => x.on).length + neuron, neuron, bias };
        s.nodes.push(node);
        rect.addEventListener("mouseenter", () => showTip(node));
        rect.addEventListener("click", () => { s.pinned = node; hooks.openNeuron(l - 1, j); showTip(node); });
        neuron += 1;
      }
      offset += columns[l] * (sizes[l - 1] + 1);
      const name = l === columns.length - 1 ? "output" : `layer ${l}`;
      el("text", { x: xs[l] + NODE / 2, y: H - 6, "text-anchor": "middle", class: "sgs-layer-name" }, svg, NS).textContent =
        `${name}: ${columns[l]} (${s.net.activations[l - 1]})`;
      if (editable && l < columns.length - 1) neuronButtons(l, xs[l]);
    }
    el("text", { x: xs[0] + NODE / 2, y: H - 6, "text-anchor": "middle", class: "sgs-layer-name" }, svg, NS).textContent = "inputs";
  }

  // an edge under the pointer (the canvas draws them; the SVG above holds the nodes)
  svg.addEventListener("mousemove", (event) => {
    if (!s.net || event.target.closest(".sgs-node")) return;
    const edge = nearestEdge(s.edges, ...pointerIn(svg, event));
    if (edge) showTip(edge); else if (s.pinned) showTip(s.pinned);
  });
  svg.addEventListener("click", (event) => {
    if (!s.net || event.target.closest(".sgs-node")) return;
    const edge = nearestEdge(s.edges, ...pointerIn(svg, event));
    if (edge) { s.pinned = edge; showTip(edge); }
  });
  svg.addEventListener("mouseleave", () => (s.pinned ? showTip(s.pinned) : (tip.textContent = "")));

  function neuronButtons(l, x) {
    const group = el("div", { class: "sgs-neuron-buttons", "data-layer": l - 1 }, controls);
    group.style.left = `${x + NODE / 2}px`;
    const width = s.net.hidden[l - 1];
    const minus = el("button", { class: "sgs-neuron-minus", title: `one neuron less in layer ${l}`, text: "−" }, group);
    const plus = el("button", { class: "sgs-neuron-plus", title: `one neuron more in layer ${l}`, text: "+" }, group);
    minus.disabled = width <= 1;
    plus.disabled = width >= s.setup.limits.width;
    const change = (by) => {
      const hidden = s.net.hidden.slice();
      hidden[l - 1] += by;
      hooks.editNetwork({ hidden });
    };
    minus.addEventListener("click", () => change(-1));
    plus.addEventListener("click", () => change(+1));
  }

  function toggleInput(name) {
    const used = new Set(s.net.inputs);
    if (used.has(name)) used.delete(name); else used.add(name);
    if (used.size === 0) return;  // a network needs an input
    hooks.editNetwork({ inputs: s.setup.inputs.filter((x) => used.has(x)) });
  }

  // A model with no layers to draw: one bar per parameter, up for positive, down for negative.
  function buildBars() {
    const names = s.setup.names;
    const W = 440, H = 300, pad = 20;
    s.width = W;
    s.height = H;
    for (const node of [svg, canvas]) { node.setAttribute("width", W); node.setAttribute("height", H); }
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    stage.style.width = `${W}px`;
    stage.style.height = `${H}px`;
    const step = (W - 2 * pad) / names.length;
    el("line", { x1: pad, x2: W - pad, y1: H / 2, y2: H / 2, stroke: "#cbd5e1" }, svg, NS);
    names.forEach((_, k) => {
      const bar = el("rect", { x: pad + k * step, width: Math.max(0.5, step * 0.8), class: "sgs-edge sgs-bar", "data-k": k }, svg, NS);
      const item = { line: bar, k };
      bar.addEventListener("mouseenter", () => showTip(item));
      bar.addEventListener("click", () => { s.pinned = item; showTip(item); });
      s.edges.push(item);
    });
    el("text", { x: pad, y: H - 4, class: "sgs-layer-name" }, svg, NS).textContent = `${names.length} parameters, in the model's order`;
    legend.textContent = "the model has no layers to draw: its parameters, blue positive, orange negative; taller: larger. Hover or click a bar.";
  }

  function showTip(item) {
    const v = s.last;
    if (!v) return;
    const names = s.setup.names;
    if (item.input !== undefined) {
      const k = s.net.inputs.indexOf(item.input);
      tip.textContent = item.on
        ? `input ${inputLabel(item.input)} = ${fmt(v.header.sample.inputs[k])} for sample ${v.header.sample.index}` +
          (hooks.editable() && s.net.rebuildable && s.setup.features === 2 ? "; click to leave it out" : "")
        : `${inputLabel(item.input)} is not an input now` + (hooks.editable() ? "; click to use it" : "");
      return;
    }
    if (item.neuron !== undefined) {
      const n = item.neuron, b = item.bias;
      const sample = v.buffers;
      tip.textContent =
        `layers.${item.layer - 1}.neurons.${item.j} (${s.net.activations[item.layer - 1]}), sample ${v.header.sample.index}: ` +
        `z = ${fmt(sample.sample_z[n])}, a = ${fmt(sample.sample_a[n])}, ∂L/∂a = ${fmt(sample.sample_grad_a[n])}\n` +
        `bias ${names[b]} = ${fmt(v.buffers.params[b])}` + (v.buffers.grads ? `, batch gradient ${fmt(v.buffers.grads[b])}` : "");
      return;
    }
    const k = item.k;
    tip.textContent = `${names[k]} = ${fmt(v.buffers.params[k])}   batch gradient ` +
      (v.buffers.grads ? fmt(v.buffers.grads[k]) : "– (no step yet)") +
      (v.buffers.sample_grad_params ? `   this sample's ∂L/∂w ${fmt(v.buffers.sample_grad_params[k])}` : "");
    tip.dataset.k = String(k);
  }

  function draw(v) {
    s.last = v;
    const palette = s.setup.palette;
    const p = v.buffers.params;
    let largest = 1e-30;
    for (const e of s.edges) largest = Math.max(largest, Math.abs(p[e.k]) || 0);
    if (!s.net) {
      const H = s.height, pad = 20;
      for (const e of s.edges) {
        const w = p[e.k];
        const h = (Math.abs(w) / largest) * (H / 2 - pad);
        e.line.setAttribute("y", String(w >= 0 ? H / 2 - h : H / 2));
        e.line.setAttribute("height", String(Math.max(0.5, h)));
        e.line.setAttribute("fill", rgba(signColor(palette, w), 0.85));
      }
    } else {
      for (const e of s.edges) {
        const w = p[e.k];
        const size = Math.sqrt(Math.abs(w) / largest) || 0;
        e.color = rgba(signColor(palette, w), 0.15 + 0.75 * size);
        e.width = 0.3 + 3.5 * size;
      }
      drawNodes(v);
    }
    if (s.pinned) showTip(s.pinned);
  }

  function drawNodes(v) {
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, s.width, s.height);
    paintEdges(ctx, s.edges);
    const maps = v.buffers.maps;
    const size = s.setup.map_grid;
    const palette = s.setup.palette;
    const acts = v.buffers.sample_a;
    const tops = {};
    for (const node of s.nodes) {
      if (node.neuron === undefined) continue;
      tops[node.layer] = Math.max(tops[node.layer] || 1e-30, Math.abs(acts[node.neuron]) || 0);
    }
    for (const node of s.nodes) {
      const x = Number(node.rect.getAttribute("x")), y = Number(node.rect.getAttribute("y"));
      if (maps && node.map !== null) {
        paintMap(ctx, maps, size, s.table, x, y, NODE, NODE, node.map * size * size);
        node.rect.setAttribute("fill", "none");
      } else if (node.neuron !== undefined) {
        const a = acts[node.neuron];
        node.rect.setAttribute("fill", rgba(signColor(palette, a), Math.min(1, Math.abs(a) / tops[node.layer]) || 0));
      } else {
        node.rect.setAttribute("fill", node.on ? "#e2e8f0" : "#f8fafc");
      }
      if (node.neuron !== undefined) {
        const a = acts[node.neuron];
        const share = Math.min(1, Math.abs(a) / tops[node.layer]) || 0;
        node.rect.setAttribute("stroke", share > 0.02 ? signColor(palette, a) : "#94a3b8");
        node.rect.setAttribute("stroke-width", (1 + 2.5 * share).toFixed(2));
      }
    }
  }

  return { setup, settings, draw };
}
