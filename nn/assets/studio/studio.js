// The Studio's view: the controls, the timeline, and the four panes (network.js, plane.js,
// chart.js, graph.js), fed by what Python sends (the protocol: nn/studio_protocol.py, written
// out in docs/studio-protocol.md). It computes none of the model's numbers; it sends back what
// the user did.
//
// Two ways in. As an anywidget module, render({model, el}) talks to Python through model.send
// and "msg:custom" (frames carry binary buffers). In a saved page (Studio.save), startSaved(el,
// run) gives the same view a transport that answers from the recorded frames.

import { decode, el, fmt } from "./common.js";
import { networkPane } from "./network.js";
import { planePane } from "./plane.js";
import { chartPane } from "./chart.js";
import { graphPane } from "./graph.js";

// Playing keeps up to IN_FLIGHT requests for a frame on their way (the kernel answers one while
// the page draws another), and sends at most one new request per animation frame: requests sent
// together would be answered together and drawn as one, wasting the other.
const IN_FLIGHT = 4;
const L2_RATES = [0, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];

function makeView(root, transport, saved) {
  root.classList.add("sgs");
  root.innerHTML = "";
  root.tabIndex = 0;
  const bar = el("div", { class: "sgs-bar" }, root);
  const play = el("button", { class: "sgs-play", title: "play / pause (space)", text: "▶ play" }, bar);
  const one = el("button", { class: "sgs-step", title: "one step", text: "step" }, bar);
  const reset = el("button", { class: "sgs-reset", title: "back to step 0", text: "reset" }, bar);
  const field = (text, node) => { const label = el("label", { class: "sgs-field", text }, bar); label.appendChild(node); return label; };
  const lr = el("input", { class: "sgs-lr", type: "number", step: "0.01", min: "0" });
  const lrLabel = field("lr ", lr);
  const speed = el("select", { class: "sgs-speed" });
  for (const n of [1, 2, 5, 10, 20]) el("option", { value: n, text: n }, speed);
  field("steps/frame ", speed);
  const l2 = el("select", { class: "sgs-l2" });
  for (const rate of L2_RATES) el("option", { value: rate, text: rate === 0 ? "none" : String(rate) }, l2);
  const l2Label = field("L2 ", l2);
  const dataset = el("select", { class: "sgs-dataset" });
  const dataLabel = field("data ", dataset);
  const noise = el("input", { class: "sgs-noise", type: "range", min: "0", max: "0.5", step: "0.05" });
  const noiseLabel = field("noise ", noise);
  const noiseText = el("span", { class: "sgs-value" }, noiseLabel);
  const test = el("input", { class: "sgs-test", type: "range", min: "0", max: "0.9", step: "0.1" });
  const testLabel = field("test ", test);
  const testText = el("span", { class: "sgs-value" }, testLabel);
  const counter = el("span", { class: "sgs-counter", text: "step 0" }, bar);
  const lossText = el("span", { class: "sgs-loss" }, bar);

  const panes = el("div", { class: "sgs-panes" }, root);
  const netBox = el("div", { class: "sgs-pane sgs-network-pane" }, panes);
  const dataBox = el("div", { class: "sgs-pane sgs-data-pane" }, panes);
  const curveBox = el("div", { class: "sgs-pane sgs-curve-pane" }, panes);
  const timeRow = el("div", { class: "sgs-time" }, root);
  el("span", { text: "timeline " }, timeRow);
  const timeline = el("input", { class: "sgs-timeline", type: "range", min: "0", max: "0", value: "0" }, timeRow);
  const timeText = el("span", { class: "sgs-time-text" }, timeRow);
  const status = el("div", { class: "sgs-status" }, root);
  const graphBox = el("div", { class: "sgs-pane sgs-graph-pane" }, root);

  const s = {
    setup: null, settings: null, versions: {}, records: [], axis: 1, bounds: null, latest: 0,
    current: null, playing: false, pending: new Set(), nextId: 1, scheduled: false, drawn: 0,
    lastDrawnStep: -1, largest: 0, replaying: false, pumping: false, queue: [],
  };
  root.dataset.frames = "0";

  const hooks = {
    saved,
    editable: () => !saved,
    send: (msg) => send(msg),
    select: (i) => send({ type: "select", index: i }),
    selected: () => (s.current ? s.current.header.sample.index : 0),
    shownStep: () => (s.current ? s.current.header.step : 0),
    openNeuron: (layer, index) => graphView.open(layer, index),
    editNetwork: (change) => { stop(); send({ type: "network", ...change }); },
  };
  const network = networkPane(netBox, hooks);
  const plane = planePane(dataBox, hooks);
  const chart = chartPane(curveBox);
  const graphView = graphPane(graphBox, hooks);
  if (saved) for (const node of [reset, lrLabel, dataLabel, noiseLabel, testLabel, l2Label]) node.querySelector?.("input, select")?.setAttribute("disabled", "");
  if (saved) reset.hidden = true;

  function send(msg) {
    if (saved && !["hello", "show", "select"].includes(msg.type)) return;
    transport.send(msg);
  }

  // ---- what arrives ----

  transport.onMessage((msg, buffers = []) => {
    if (msg.type === "frame") {
      let size = JSON.stringify(msg).length;
      for (const b of buffers) size += b.byteLength;
      s.largest = Math.max(s.largest, size);
      root.dataset.largestFrame = String(s.largest);
      root.dataset.lastFrame = String(size);
    }
    if (msg.type === "setup") onSetup(msg);
    else if (msg.type === "settings") onSettings(msg);
    else if (msg.type === "data") onData(msg);
    else if (msg.type === "frame") onFrame(msg, buffers);
    else if (msg.type === "graph") graphView.onGraph(msg);
    else if (msg.type === "error") onError(msg);
    if (msg.reply_to !== undefined) s.pending.delete(msg.reply_to);
  });

  function onSetup(msg) {
    s.setup = msg;
    s.queue = [];  // frames of the network before: drawn on this one they would be nonsense
    s.current = null;
    s.versions = {};
    network.setup(msg);
    plane.setup(msg);
    graphView.setup(msg);
    dataset.innerHTML = "";
    el("option", { value: "", text: "(yours)" }, dataset);
    for (const name of msg.presets) el("option", { value: name, text: name }, dataset);
    dataLabel.hidden = msg.presets.length === 0;
    noise.max = String(Math.min(0.5, msg.limits.noise));
    test.max = String(msg.limits.test);
  }

  function onSettings(msg) {
    s.settings = msg;
    lr.value = msg.lr;
    l2.value = L2_RATES.includes(msg.l2) ? String(msg.l2) : l2.value;
    dataset.value = msg.dataset && s.setup.presets.includes(msg.dataset) ? msg.dataset : "";
    noiseLabel.hidden = msg.noise === null || msg.dataset === null;
    if (msg.noise !== null) { noise.value = String(msg.noise); noiseText.textContent = msg.noise.toFixed(2); }
    test.value = String(msg.test);
    testText.textContent = `${Math.round(100 * msg.test)}%`;
    network.settings(msg);
    schedule();  // the info line names the settings
  }

  function onData(msg) {
    s.queue = [];  // a frame of the new data follows
    s.versions[msg.version] = { X: msg.X, y: msg.y, test: msg.test };
    s.records = msg.records;
    s.bounds = msg.bounds;
    s.axis = msg.axis;
    s.latest = msg.steps;
    status.textContent = "";
  }

  function onFrame(msg, buffers) {
    if (msg.points) s.versions[msg.points.version] = msg.points;
    for (const r of msg.records || []) s.records[r[0] - 1] = r;
    s.records.length = msg.latest;
    s.latest = msg.latest;
    if (msg.axis !== undefined) s.axis = msg.axis;
    const decoded = msg.buffers_decoded || decode(msg, buffers);
    const frame = { header: msg, buffers: decoded, points: s.versions[msg.version], bounds: s.bounds };
    // frames of play wait their turn, one drawn per animation frame (two that arrive together
    // are both seen); any other frame (a step shown, a point selected) is drawn next at once
    if (s.pending.has(msg.reply_to)) {
      s.queue.push(frame);
      if (s.queue.length > 3) s.queue.splice(0, s.queue.length - 2);
    } else {
      s.queue = [frame];
    }
    status.textContent = "";
    schedule();
  }

  function onError(msg) {
    status.textContent = `${msg.request ? msg.request + ": " : ""}${msg.text}`;
    if (msg.request === "play" || msg.request === "step") { stop(); s.pending.clear(); }
  }

  // Draw at most once per animation frame: the next frame waiting, if any.
  function schedule() {
    if (s.scheduled) return;
    s.scheduled = true;
    requestAnimationFrame(() => {
      s.scheduled = false;
      if (s.queue.length) s.current = s.queue.shift();
      redraw();
      if (s.queue.length) schedule();
    });
  }

  // ---- what the user does ----

  function next() {
    if (!s.playing) return;
    if (saved) return replay();
    if (s.pumping) return;
    s.pumping = true;
    const pump = () => {
      if (!s.playing) { s.pumping = false; return; }
      if (s.pending.size < IN_FLIGHT) {
        const id = s.nextId++;
        s.pending.add(id);
        transport.send({ type: "play", steps: Number(speed.value), id });
      }
      requestAnimationFrame(pump);
    };
    pump();
  }

  function replay() {  // a saved run: the recorded steps, one frame every 40 ms
    if (s.replaying) return;
    s.replaying = true;
    const tick = () => {
      const k = hooks.shownStep();
      if (!s.playing || k >= s.latest) {
        s.replaying = false;
        s.playing = false;
        showPlay();
        return;
      }
      transport.send({ type: "show", step: Math.min(s.latest, k + Number(speed.value)) });
      setTimeout(tick, 40);
    };
    tick();
  }

  function showPlay() { play.textContent = s.playing ? "❚❚ pause" : "▶ play"; }
  function stop() { s.playing = false; showPlay(); }

  play.addEventListener("click", () => {
    s.playing = !s.playing;
    showPlay();
    if (s.playing) {
      if (saved && hooks.shownStep() >= s.latest) transport.send({ type: "show", step: 0 });
      next();
    }
  });
  one.addEventListener("click", () => {
    if (saved) send({ type: "show", step: Math.min(s.latest, hooks.shownStep() + 1) });
    else send({ type: "step" });
  });
  reset.addEventListener("click", () => { stop(); send({ type: "reset" }); });
  lr.addEventListener("change", () => {
    const v = Number(lr.value);
    if (lr.value !== "" && Number.isFinite(v) && v >= 0) send({ type: "lr", value: v });
  });
  l2.addEventListener("change", () => send({ type: "l2", value: Number(l2.value) }));
  dataset.addEventListener("change", () => {
    if (dataset.value) { stop(); send({ type: "dataset", name: dataset.value }); }
  });
  noise.addEventListener("input", () => { noiseText.textContent = Number(noise.value).toFixed(2); });
  noise.addEventListener("change", () => {
    if (s.settings && s.settings.dataset) { stop(); send({ type: "dataset", name: s.settings.dataset, noise: Number(noise.value) }); }
  });
  test.addEventListener("input", () => { testText.textContent = `${Math.round(100 * Number(test.value))}%`; });
  test.addEventListener("change", () => send({ type: "split", test: Number(test.value) }));

  function showStep(k) {
    stop();
    k = Math.max(0, Math.min(s.latest, k));
    timeline.value = String(k);  // at once, so a second key press counts from here
    send({ type: "show", step: k });
  }
  timeline.addEventListener("input", () => showStep(Number(timeline.value)));

  // Keys, while the view has the focus (click it): space plays or pauses, the arrows move the
  // timeline a step back or forward. Inputs and menus keep their own keys.
  root.addEventListener("keydown", (event) => {
    if (!s.current || event.target.closest("input, select, textarea, button")) return;
    if (event.key === " ") play.click();
    else if (event.key === "ArrowLeft") showStep(Number(timeline.value) - 1);
    else if (event.key === "ArrowRight") showStep(Number(timeline.value) + 1);
    else return;
    event.preventDefault();
  });

  // ---- drawing ----

  function redraw() {
    const v = s.current;
    if (!s.setup || !v || !v.points) return;
    const started = performance.now();
    v.bounds = s.bounds;
    const k = v.header.step;
    const live = k === s.latest;
    timeline.max = String(s.latest);
    timeline.value = String(k);
    counter.textContent = `step ${k}` + (live ? "" : ` (of ${s.latest})`);
    const r = s.records[k - 1];
    lossText.textContent = r
      ? `loss ${fmt(r[2])}` + (r[3] !== null ? `  test ${fmt(r[3])}` : "") + (r[1] !== r[2] ? `  (with L2: ${fmt(r[1])})` : "") +
        (r[4] !== null ? `  accuracy ${(100 * r[4]).toFixed(1)}%` : "") + (r[5] !== null ? ` (test ${(100 * r[5]).toFixed(1)}%)` : "")
      : "loss –";
    timeText.textContent = live ? "newest step" : `showing step ${k}; drag right to come back`;
    network.draw(v);
    plane.draw(v);
    chart.draw(s.records, s.axis, k, info(v));
    graphView.draw(v, s.playing);
    if (k !== s.lastDrawnStep) {
      s.lastDrawnStep = k;
      s.drawn += 1;
      root.dataset.frames = String(s.drawn);
    }
    root.dataset.step = String(k);
    root.dataset.sample = String(v.header.sample.index);
    root.dataset.drawMs = (performance.now() - started).toFixed(1);
  }

  function info(v) {
    const sample = v.header.sample, points = v.points;
    const settings = s.settings || {};
    const held = points.test.filter(Boolean).length;
    return `selected: sample ${sample.index} of ${points.X.length}${points.test[sample.index] ? " (test)" : ""}\n` +
      `x = [${sample.x.map(fmt).join(", ")}]  target ${sample.target}\n` +
      `output ${sample.outputs.map(fmt).join(", ")}  its loss ${fmt(sample.loss)}` +
      (sample.error ? ` (the loss of one sample fails: ${sample.error.slice(0, 80)})` : "") + "\n" +
      `${s.setup.loss}, ${s.setup.optimizer}(lr=${settings.lr}), L2 ${settings.l2 || "none"}\n` +
      `${points.X.length - held} training points, ${held} test`;
  }

  send({ type: "hello" });
  return root;
}

// ---- a saved run: the same view, answered from the recorded frames ----

async function inflate(b64) {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Response(stream).arrayBuffer();
}

function savedTransport(run) {
  let listener = () => {};
  const ready = inflate(run.blob);
  const steps = run.frames.map((f) => f.step);
  const nearest = (k) => {  // the saved frame at step k, or the closest one before it
    let best = 0;
    for (let j = 0; j < steps.length; j++) if (steps[j] <= k) best = j;
    return run.frames[best];
  };
  const frame = (header, blob) => ({
    ...header, latest: run.steps, records: [], axis: run.axis,
    points: run.points[String(header.version)], buffers_decoded: decode(header, [], blob),
  });
  return {
    onMessage(fn) { listener = fn; },
    send(msg) {
      ready.then((blob) => {
        if (msg.type === "hello") {
          const last = run.frames[run.frames.length - 1];
          listener(run.setup);
          listener(run.settings);
          listener({ type: "data", ...run.points[String(last.version)], bounds: run.bounds, selected: run.selected, steps: run.steps, records: run.records, axis: run.axis });
          listener(frame(last, blob));
        } else if (msg.type === "show") {
          listener(frame(nearest(Math.max(0, Math.min(run.steps, msg.step))), blob));
        }
      });
    },
  };
}

export function startSaved(root, run) {
  return makeView(root, savedTransport(run), true);
}

function render({ model, el: root }) {
  const listeners = [];
  const handler = (msg, buffers) => { for (const fn of listeners) fn(msg, buffers || []); };
  model.on("msg:custom", handler);
  const transport = { send: (msg) => model.send(msg), onMessage: (fn) => listeners.push(fn) };
  makeView(root, transport, false);
  return () => model.off("msg:custom", handler);
}

export default { render };
