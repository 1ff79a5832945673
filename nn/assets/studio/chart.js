// The loss chart: the training loss (grey) and the test loss (black) per step, as TensorFlow
// Playground draws them, and the accuracy (green, dotted, on its own 0 to 100% scale). The
// y-axis runs from 0 to the top Python picked for the recorded losses (1, 2, 2.5 or 5 × 10^k);
// a line marks the step shown. Records are [step, loss, data loss, test loss, accuracy, test
// accuracy, version], all Python's numbers.

import { el, fmt } from "./common.js";

const W = 300, H = 170, LEFT = 40, BOTTOM = 18, TOP = 8, RIGHT = 30;

export function chartPane(box) {
  el("div", { class: "sgs-title", text: "loss: training (grey) and test (black); accuracy (green)" }, box);
  const canvas = el("canvas", { class: "sgs-curve", width: W, height: H }, box);
  const info = el("pre", { class: "sgs-info" }, box);

  function draw(records, axis, step, text) {
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, W, H);
    info.textContent = text;
    const n = records.length;
    ctx.font = "10px sans-serif";
    ctx.fillStyle = "#555";
    ctx.strokeStyle = "#ddd";
    ctx.lineWidth = 1;
    ctx.strokeRect(LEFT, TOP, W - LEFT - RIGHT, H - BOTTOM - TOP);
    if (!n) {
      ctx.fillText("no steps yet: press play or step", LEFT + 10, H / 2);
      return;
    }
    const xOf = (k) => LEFT + ((k - 1) / Math.max(1, n - 1)) * (W - LEFT - RIGHT);
    const yOf = (v) => TOP + (1 - v / axis) * (H - BOTTOM - TOP);
    for (const tick of [0, axis / 2, axis]) {  // the loss axis, at the left
      const y = yOf(tick);
      ctx.fillText(tick === 0 ? "0" : fmt(tick).replace(/\.?0+$/, ""), 2, y + 3);
      ctx.beginPath();
      ctx.moveTo(LEFT - 3, y);
      ctx.lineTo(LEFT, y);
      ctx.stroke();
    }
    ctx.fillText("100%", W - RIGHT + 3, TOP + 7);
    ctx.fillText("0%", W - RIGHT + 3, H - BOTTOM);
    ctx.fillText(`step ${n}`, W - RIGHT - 40, H - 4);
    ctx.fillText("1", LEFT, H - 4);
    const line = (pick, color, scale, dash) => {
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.5;
      ctx.setLineDash(dash);
      ctx.beginPath();
      let started = false;
      for (const r of records) {
        if (!r) continue;
        const v = pick(r);
        if (v === null || !Number.isFinite(v)) { started = false; continue; }
        const x = xOf(r[0]), y = yOf(Math.min(v * scale, axis));
        if (started) ctx.lineTo(x, y); else ctx.moveTo(x, y);
        started = true;
      }
      ctx.stroke();
      ctx.setLineDash([]);
    };
    line((r) => r[4], "#16a34a", axis, [2, 3]);
    line((r) => r[2], "#888888", 1, []);
    line((r) => r[3], "#111111", 1, []);
    if (step > 0) {
      ctx.strokeStyle = "#2563eb";
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(xOf(step), TOP);
      ctx.lineTo(xOf(step), H - BOTTOM);
      ctx.stroke();
    }
  }

  return { draw };
}
