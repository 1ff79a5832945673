/* stepgrad's animated page: plays the frames of a training step on one drawing.

   The page holds the drawing once (an SVG laid out by Graphviz) and, as JSON, one small record
   per frame: its phase, its node, the panel text, and the cells it changes as
   [node, 0 for data | 1 for grad, new text, old text]. Going forward applies the changes,
   going back restores the old texts, so one step touches a handful of elements whatever the
   size of the graph.

   An ES module, in the dialect of the Studio's modules (nn/assets/studio/): it starts every
   .stepgrad element of the document not started yet and touches nothing outside them, so
   several pages can live in one document. It needs no network. Each phase label is a button
   that jumps to its phase's first frame. In a frame (the Studio's graph pane, a notebook), it
   tells its parent which frame it shows ({stepgrad: "frame", index, frames}) and goes to the
   frame its parent asks for ({stepgrad: "go", index}). */

const embedded = window.self !== window.top;

export function start(root) {
  if (root.hasAttribute("data-sg-started")) return;
  root.setAttribute("data-sg-started", "");

  const data = JSON.parse(root.querySelector("script.sg-data").textContent);
  const frames = data.frames;
  const view = root.querySelector(".sg-view");
  const svg = view.querySelector("svg");
  const slider = root.querySelector(".sg-slider");
  const counter = root.querySelector(".sg-counter");
  const panel = root.querySelector(".sg-text");
  for (const [phase, color] of Object.entries(data.colors.phases || {})) {
    root.style.setProperty(`--sg-${phase}`, color);  // the one palette, from autograd.viz.palette
  }

  // ---- the drawing's parts, found once: v<k> a value's record, o<k> its op, e<k>_<j> edges ----

  // A leaf that several boxes read (an RNN's shared weight) is drawn once per box: v<k> and its
  // copies v<k>_<n>, which show the same numbers and light up together.
  const parts = new Map();
  const copies = new Map();
  for (const element of svg.querySelectorAll("[data-sg]")) {
    const id = element.getAttribute("data-sg");
    const copy = /^(v\d+)_\d+$/.exec(id);
    if (copy) {
      if (!copies.has(copy[1])) copies.set(copy[1], []);
      copies.get(copy[1]).push(element);
    } else {
      parts.set(id, element);
    }
  }
  const record = (group) => {
    const texts = group.querySelectorAll("text");
    return { group, data: texts[texts.length - 2], grad: texts[texts.length - 1] };
  };
  const cells = data.nodes.map((node, index) => {
    const id = `v${index + 1}`;
    return {
      drawn: [record(parts.get(id))].concat((copies.get(id) || []).map(record)),
      op: parts.get(`o${index + 1}`) || null,
      parents: node[1],
    };
  });

  function setCell(place, field, value) {
    const cell = cells[place - 1];
    for (const drawn of cell.drawn) {
      if (field === 0) {
        drawn.data.textContent = `data ${value}`;
        drawn.group.classList.toggle("sg-pending", value === "?");
      } else {
        drawn.grad.textContent = `grad ${value}`;
      }
    }
    if (field === 0 && cell.op) cell.op.classList.toggle("sg-pending", value === "?");
  }

  data.start.forEach((texts, index) => {
    setCell(index + 1, 0, texts[0]);
    setCell(index + 1, 1, texts[1]);
  });

  // ---- the panel: phases (each a button to its first frame), legend ----

  const pills = data.phases.map((phase) => {
    const pill = document.createElement("button");
    pill.type = "button";
    pill.className = "sg-phase";
    pill.setAttribute("data-phase", phase);
    pill.title = `go to the ${phase} phase`;
    pill.textContent = phase;
    pill.addEventListener("click", () => go(frames.findIndex((frame) => frame[0] === phase)));
    root.querySelector(".sg-phases").appendChild(pill);
    return pill;
  });
  function addKey(name, color) {
    const key = document.createElement("span");
    key.className = "sg-key";
    const swatch = document.createElement("i");
    swatch.style.background = color;
    key.appendChild(swatch);
    key.appendChild(document.createTextNode(name));
    root.querySelector(".sg-legend").appendChild(key);
  }
  for (const role of data.roles) addKey(role, data.colors[role]);
  addKey("current", data.colors.current);
  if (embedded) root.querySelector(".sg-wheel").textContent = "Ctrl+wheel";

  // ---- frames ----

  let current = -1;
  let lit = [];

  function go(target) {
    target = Math.max(0, Math.min(frames.length - 1, target));
    while (current < target) {
      current += 1;
      for (const [place, field, value] of frames[current][3]) setCell(place, field, value);
    }
    while (current > target) {
      const changes = frames[current][3];
      for (let j = changes.length - 1; j >= 0; j--) setCell(changes[j][0], changes[j][1], changes[j][3]);
      current -= 1;
    }
    show();
    if (embedded) window.parent.postMessage({ stepgrad: "frame", index: current, frames: frames.length }, "*");
  }

  function mark(element, name) {
    if (!element) return;
    element.classList.add(name);
    lit.push([element, name]);
  }

  function show() {
    const [phase, place, text] = frames[current];
    for (const [element, name] of lit) element.classList.remove(name);
    lit = [];
    if (place) {
      const cell = cells[place - 1];
      for (const drawn of cell.drawn) mark(drawn.group, "sg-current");
      if (phase === "forward" || phase === "backward") {
        const flow = `sg-flow-${phase}`;
        mark(cell.op, "sg-current");
        mark(parts.get(`e${place}`), flow);
        for (let j = 0; j < cell.parents; j++) mark(parts.get(`e${place}_${j}`), flow);
      }
    }
    panel.textContent = text;
    for (const pill of pills) pill.classList.toggle("sg-on", pill.getAttribute("data-phase") === phase);
    counter.textContent = `${current + 1} / ${frames.length}`;
    slider.value = String(current + 1);
    if (place) follow(place);
  }

  // ---- zoom and pan: a CSS transform on the SVG is the camera, so moving it lays nothing out
  // again. camera.x, camera.y: the SVG point at the view's top-left; scale: px per SVG unit ----

  const box = svg.viewBox.baseVal;
  const whole = { x: box.x, y: box.y, width: box.width, height: box.height };
  svg.setAttribute("width", whole.width);  // at scale 1, one SVG unit is one pixel
  svg.setAttribute("height", whole.height);
  const camera = { scale: 1, x: whole.x, y: whole.y };

  const size = () => ({ width: view.clientWidth || 1, height: view.clientHeight || 1 });
  const clamp = (x, low, high) => Math.max(low, Math.min(high, x));

  function aim() {  // no panning off the graph: center what fits, clamp what does not
    const s = size();
    const margin = 20 / camera.scale;
    const width = s.width / camera.scale;
    const height = s.height / camera.scale;
    camera.x = width >= whole.width + 2 * margin
      ? whole.x - (width - whole.width) / 2
      : clamp(camera.x, whole.x - margin, whole.x + whole.width + margin - width);
    camera.y = height >= whole.height + 2 * margin
      ? whole.y - (height - whole.height) / 2
      : clamp(camera.y, whole.y - margin, whole.y + whole.height + margin - height);
    svg.style.transform = `translate(${-camera.scale * (camera.x - whole.x)}px, ` +
      `${-camera.scale * (camera.y - whole.y)}px) scale(${camera.scale})`;
  }

  function fitScale() {
    const s = size();
    return Math.min(s.width / whole.width, s.height / whole.height) * 0.97;
  }

  function fit() {
    const s = size();
    camera.scale = Math.min(fitScale(), 1.6);
    camera.x = whole.x - (s.width / camera.scale - whole.width) / 2;
    camera.y = whole.y - (s.height / camera.scale - whole.height) / 2;
    aim();
  }

  function zoom(factor, px, py) {
    const s = size();
    if (px === undefined) { px = s.width / 2; py = s.height / 2; }
    const scale = Math.max(Math.min(fitScale(), 1) * 0.5, Math.min(8, camera.scale * factor));
    camera.x += px / camera.scale - px / scale;
    camera.y += py / camera.scale - py / scale;
    camera.scale = scale;
    aim();
  }

  function pan(dx, dy) {
    camera.x -= dx / camera.scale;
    camera.y -= dy / camera.scale;
    aim();
  }

  // Where each record sits, in the SVG's units: measured once, so that following the current
  // node is arithmetic and a frame forces no layout.
  let boxes = null;

  function measure() {
    const v = view.getBoundingClientRect();
    boxes = cells.map((cell) => {
      const r = cell.drawn[0].group.getBoundingClientRect();
      return {
        x: camera.x + (r.left - v.left - view.clientLeft) / camera.scale,
        y: camera.y + (r.top - v.top - view.clientTop) / camera.scale,
        width: r.width / camera.scale,
        height: r.height / camera.scale,
      };
    });
  }

  function follow(place) {  // bring the current node into view when zoomed in
    if (!boxes) return;
    const b = boxes[place - 1];
    const s = size();
    const width = s.width / camera.scale;
    const height = s.height / camera.scale;
    if (b.x >= camera.x && b.x + b.width <= camera.x + width &&
        b.y >= camera.y && b.y + b.height <= camera.y + height) return;
    camera.x = b.x + b.width / 2 - width / 2;
    camera.y = b.y + b.height / 2 - height / 2;
    aim();
  }

  // The first view: the whole graph if it is readable so; else readable, from the end where
  // the first frame's node is (the inputs' side for a forward pass, the output's for backward).
  function begin() {
    fit();
    measure();
    if (camera.scale >= 0.75) return;
    const b = boxes[(frames[0][1] || (frames[1] && frames[1][1]) || 1) - 1];
    const s = size();
    camera.scale = 1;
    camera.x = b.x + b.width / 2 < whole.x + whole.width / 2
      ? whole.x : whole.x + whole.width - s.width;
    camera.y = b.y + b.height / 2 - s.height / 2;
    aim();
  }

  let drag = null;
  view.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY };
    view.setPointerCapture(event.pointerId);
    view.classList.add("sg-dragging");
  });
  view.addEventListener("pointermove", (event) => {
    if (!drag) return;
    pan(event.clientX - drag.x, event.clientY - drag.y);
    drag = { x: event.clientX, y: event.clientY };
  });
  const endDrag = () => {
    drag = null;
    view.classList.remove("sg-dragging");
  };
  view.addEventListener("pointerup", endDrag);
  view.addEventListener("pointercancel", endDrag);
  view.addEventListener("wheel", (event) => {
    if (embedded && !event.ctrlKey && !event.metaKey) return;  // let a notebook scroll
    event.preventDefault();
    const v = view.getBoundingClientRect();
    const pixels = event.deltaMode === 1 ? event.deltaY * 16 : event.deltaY;
    zoom(Math.exp(-pixels * 0.002), event.clientX - v.left - view.clientLeft,
      event.clientY - v.top - view.clientTop);  // from the inside of the view's border
  }, { passive: false });
  let started = false;
  function resized() {  // a page first shown hidden (a collapsed output) starts when it shows
    if (!view.clientWidth) return;
    if (started) {
      aim();
    } else {
      started = true;
      begin();
    }
  }
  if (window.ResizeObserver) new ResizeObserver(resized).observe(view);

  // ---- buttons, slider, keys: one frame per press, whatever has the focus ----

  root.querySelector(".sg-prev").addEventListener("click", () => go(current - 1));
  root.querySelector(".sg-next").addEventListener("click", () => go(current + 1));
  root.querySelector(".sg-zoom-in").addEventListener("click", () => zoom(1.25));
  root.querySelector(".sg-zoom-out").addEventListener("click", () => zoom(0.8));
  root.querySelector(".sg-fit").addEventListener("click", fit);
  slider.addEventListener("input", () => go(Number(slider.value) - 1));

  function activate() {  // this page answers keys pressed outside any page
    for (const page of document.querySelectorAll(".stepgrad.sg-active")) page.classList.remove("sg-active");
    root.classList.add("sg-active");
  }
  root.addEventListener("pointerdown", activate);
  root.addEventListener("focusin", activate);

  function answers(target) {
    const page = target && target.closest ? target.closest(".stepgrad") : null;
    if (page) return page === root;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) {
      return false;
    }
    const active = document.querySelector(".stepgrad.sg-active");
    return active ? active === root : document.querySelector(".stepgrad") === root;
  }

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (!answers(event.target)) return;
    const key = event.key;
    const onSlider = event.target === slider;
    if (event.shiftKey && key.startsWith("Arrow")) {
      pan(key === "ArrowLeft" ? 60 : key === "ArrowRight" ? -60 : 0,
        key === "ArrowUp" ? 60 : key === "ArrowDown" ? -60 : 0);
    } else if (key === "ArrowRight" || (onSlider && key === "ArrowUp")) {
      go(current + 1);
    } else if (key === "ArrowLeft" || (onSlider && key === "ArrowDown")) {
      go(current - 1);
    } else if (key === "PageDown") {
      go(current + 10);
    } else if (key === "PageUp") {
      go(current - 10);
    } else if (key === "Home") {  // the first frame, seen as the page opened
      go(0);
      begin();
    } else if (key === "End") {
      go(frames.length - 1);
    } else if (key === "+" || key === "=") {
      zoom(1.25);
    } else if (key === "-" || key === "_") {
      zoom(0.8);
    } else if (key === "0") {
      fit();
    } else {
      return;
    }
    event.preventDefault();  // the slider must not take a second step of its own
  });

  if (embedded) {  // the page around this frame (the Studio) may ask for a frame
    window.addEventListener("message", (event) => {
      if (event.source !== window.parent) return;
      const message = event.data;
      if (message && message.stepgrad === "go" && Number.isInteger(message.index)) go(message.index);
    });
  }

  go(0);
  resized();
  root.setAttribute("data-sg-ready", "");  // for tests and tools: the page answers now
}

for (const root of document.querySelectorAll(".stepgrad:not([data-sg-started])")) start(root);
