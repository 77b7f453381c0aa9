/* The diagnose panels (issue 18): per weight matrix, the health figure's
   quantities against epoch, each with a cursor at the slider's epoch, and the
   weight and activation histograms of the slider's snapshot. Several runs
   overlay, one colour each, keyed as in the curves. Each panel's frame and
   lines are drawn once, off screen; moving the slider copies them back and
   draws the cursor (and the histograms) on top. */
"use strict";

WL.HEALTH_PANELS = [
  { key: "ratio", title: "log10 update ratio", kind: "line", src: "ratio" },
  { key: "dead", title: "dead / saturated units (%)", kind: "dead", hidden: true },
  { key: "grad", title: "gradient RMS (log scale)", kind: "line", src: "grad", log: true },
  { key: "weights", title: "weights (percentiles)", kind: "bands", src: "wp" },
  { key: "whist", title: "weights at the slider", kind: "hist", src: "wh", bins: "wbins" },
  { key: "acts", title: "activations (percentiles)", kind: "bands", src: "ap", hidden: true },
  { key: "ahist", title: "activations at the slider", kind: "hist", src: "ah", bins: "abins", hidden: true },
];
WL.HP = { W: 300, H: 176, L: 46, R: 10, T: 22, B: 30 };   // a panel's design size and margins

WL.Health = function (box, runs) {
  this.runs = runs; this.panels = []; this.focus = null; this.epoch = null;
  const multi = runs.length > 1, hs = runs.map(r => r.health);
  const notes = WL.el("div", { id: "health-notes" });
  runs.forEach((r, n) => {
    const h = r.health, who = multi ? r.name + ": " : "";
    if (h.error) notes.appendChild(WL.el("div", { class: "note" }, who + "no health record: " + h.error));
    else if (h.missing) notes.appendChild(WL.el("div", { class: "note" }, who + h.missing));
  });
  box.appendChild(notes);
  if (multi) {
    // the legend stays in view under the sticky controls while the panels scroll
    box.appendChild(this.legend(runs));
    const controls = document.getElementById("controls");
    const place = () => document.documentElement.style.setProperty("--controls-h", controls.offsetHeight + "px");
    place(); window.addEventListener("resize", place);
  }
  const ep = hs.flatMap(h => h.layers.flatMap(L => L.epoch.concat(L.pe)));
  this.e0 = ep.length ? Math.min(...ep) : 0; this.e1 = ep.length ? Math.max(...ep) : 1;
  if (!(this.e1 > this.e0)) this.e1 = this.e0 + 1;
  const n = Math.max(1, ...hs.map(h => h.layers.length), ...runs.map(r => r.sizes.length - 1));
  const dpr = window.devicePixelRatio || 1;
  for (let l = 0; l < n; l++) {
    const row = WL.el("div", { class: "hlayer" });
    row.appendChild(WL.el("h3", {}, this.layerName(l)));
    // a panel of the units W[l] feeds: only where some run has hidden units there
    const hidden = runs.some(r => l < r.sizes.length - 2);
    const specs = WL.HEALTH_PANELS.filter(spec => hidden || !spec.hidden);
    // over training, then (a row of their own where there are two) the slider's histograms
    const grid = WL.el("div", { class: "hpanels" }), now = hidden ? WL.el("div", { class: "hpanels" }) : grid;
    for (const spec of specs.filter(q => q.kind !== "hist").concat(specs.filter(q => q.kind === "hist"))) {
      const c = WL.el("canvas", { "data-panel": spec.key, "data-layer": l });
      c.width = WL.HP.W * dpr; c.height = WL.HP.H * dpr;
      (spec.kind === "hist" ? now : grid).appendChild(c);
      const base = document.createElement("canvas");
      base.width = c.width; base.height = c.height;
      const p = { spec, layer: l, canvas: c, base, dpr, series: this.seriesOf(spec, l) };
      this.scale(p);
      this.drawBase(p);
      this.panels.push(p);
    }
    row.appendChild(grid);
    if (now !== grid) { now.style.marginTop = "8px"; row.appendChild(now); }
    box.appendChild(row);
  }
};

WL.Health.prototype.layerName = function (l) {
  const s = this.runs[0].sizes, acts = new Set(this.runs.map(r => r.health.activation));
  const act = acts.size === 1 ? [...acts][0] : null;      // runs of several activations: none named
  if (this.runs.some(r => r.sizes.join() !== s.join()) || l >= s.length - 1) return `W[${l}]`;
  const name = k => k === 0 ? "input" : k === s.length - 1 ? "output" : `hidden ${k}${act ? " (" + act + ")" : ""}`;
  return `W[${l}]: ${name(l)} (${s[l]}) → ${name(l + 1)} (${s[l + 1]})`;
};

/* The runs' names in their colours, wrapped, with what the line styles mean. */
WL.Health.prototype.legend = function (runs) {
  const box = WL.el("div", { class: "hlegend", id: "health-legend" });
  runs.forEach((r, n) => {
    const item = WL.el("span", { class: "hkey" });
    const sw = WL.el("span", { class: "swatch" }); sw.style.background = WL.RUN_COLORS[n % 10];
    item.appendChild(sw);
    const none = r.health.error || !r.health.recorded;
    item.appendChild(document.createTextNode(r.name + (none ? " (no health record)" : "")));
    item.title = "click to pick this run out (again: show all)";
    item.addEventListener("click", () => this.pick(this.focus === n ? null : n));
    box.appendChild(item);
  });
  box.appendChild(WL.el("span", { class: "hint" }, "click a run to pick it out"));
  this.keys = box.querySelectorAll(".hkey");
  return box;
};

/* Pick run n out of the others in every panel (null: none). */
WL.Health.prototype.pick = function (n) {
  this.focus = n;
  this.keys.forEach((k, j) => { k.classList.toggle("faint", n !== null && j !== n); });
  for (const p of this.panels) this.drawBase(p);
  if (this.epoch !== null) this.draw(this.epoch);
};

/* Per run: what the panel draws of it, or why it draws nothing. */
WL.Health.prototype.seriesOf = function (spec, l) {
  return this.runs.map((r, n) => {
    const h = r.health, L = h.layers[l], color = WL.RUN_COLORS[n % 10], run = n;
    if (h.error) return { color, run, why: WL.NO_HEALTH };
    if (!L || (spec.hidden && !L.hidden)) return { color, run, why: "" };
    if (spec.kind === "line") {
      const ys = L[spec.src].map(v => v === null ? null : spec.log ? (v > 0 ? Math.log10(v) : null) : v);
      // a log axis has no 0: zeros (every unit dead, no gradient) go on its bottom edge, dashed
      const zeros = spec.log ? L[spec.src].map(v => v === 0 ? 0 : null) : null;
      const any = ys.some(v => v !== null) || (zeros && zeros.some(v => v !== null));
      return any ? { color, run, x: L.epoch, ys, zeros } : { color, run, why: WL.NO_HEALTH };
    }
    if (spec.kind === "dead") {
      const has = k => L[k].some(v => v !== null);
      if (has("dead") || has("sat")) return { color, run, x: L.pe, dead: L.dead, sat: L.sat };
      const act = h.activation;
      return { color, run, why: ["relu", "tanh", "sigmoid"].includes(act) ? "no probe set" : `not measured for ${act}` };
    }
    const P = L[spec.src];
    if (!P || !P.some(v => v !== null)) return { color, run, why: "no probe set" };
    return spec.kind === "bands" ? { color, run, x: L.pe, P }
      : { color, run, x: L.pe, H: P, bins: L[spec.bins], relu: spec.key === "ahist" && h.activation === "relu" };
  });
};
WL.NO_HEALTH = "no health record";

WL.Health.prototype.scale = function (p) {
  const vals = [], drawn = p.series.filter(s => s.why === undefined);
  const k = p.spec.key;
  p.drawn = drawn;
  if (p.spec.kind === "hist") {
    p.x0 = Math.min(...drawn.map(s => s.bins[0])); p.x1 = Math.max(...drawn.map(s => s.bins[1]));
    p.y0 = 0; p.y1 = 0;
    for (const s of drawn) {
      const w = (s.bins[1] - s.bins[0]) / s.H[0].length;
      s.density = s.H.map(h => {
        if (!h) return null;
        const tot = h.reduce((a, b) => a + b, 0) || 1;
        return h.map(c => c / tot / w);
      });
      // ReLU's zeros fill the first bin: the axis is set by the others
      for (const d of s.density) if (d) d.forEach((v, j) => { if (!(s.relu && j === 0)) p.y1 = Math.max(p.y1, v); });
    }
    p.y1 = p.y1 > 0 ? p.y1 * 1.1 : 1;
    return;
  }
  p.x0 = this.e0; p.x1 = this.e1;
  if (k === "dead") { p.y0 = -3; p.y1 = 103; return; }
  for (const s of drawn) {
    if (s.ys) s.ys.forEach(v => { if (v !== null) vals.push(v); });
    // the percentiles drawn (see drawBase): 2-98 for one run, 16-84 for a few, 50 and 84 for many
    const js = this.runs.length === 1 ? [0, 4] : this.runs.length <= 3 ? [1, 3] : [2, 3];
    if (s.P) s.P.forEach(q => { if (q) js.forEach(j => { if (q[j] !== null) vals.push(q[j]); }); });
  }
  let lo = vals.length ? Math.min(...vals) : 0, hi = vals.length ? Math.max(...vals) : 1;
  if (k === "ratio") { lo = Math.min(lo, -4.5); hi = Math.max(hi, -1.5); }
  if (p.spec.log || k === "ratio") { lo = Math.floor(lo); hi = Math.ceil(hi); }
  if (!(hi > lo)) { lo -= 0.5; hi += 0.5; }
  const pad = k === "ratio" || p.spec.log ? 0 : 0.05 * (hi - lo);
  p.y0 = lo - pad; p.y1 = hi + pad;
};

WL.Health.prototype.px = function (p, x, y) {
  const H = WL.HP, w = H.W - H.L - H.R, h = H.H - H.T - H.B;
  return [H.L + (x - p.x0) / (p.x1 - p.x0) * w, H.T + h - (y - p.y0) / (p.y1 - p.y0) * h];
};

/* The frame, ticks, title and (for panels against epoch) every run's lines. */
WL.Health.prototype.drawBase = function (p) {
  const ctx = p.base.getContext("2d"), H = WL.HP, spec = p.spec;
  ctx.setTransform(p.dpr, 0, 0, p.dpr, 0, 0);
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, H.W, H.H);
  ctx.fillStyle = "#222"; ctx.font = "bold 12px sans-serif"; ctx.textAlign = "center";
  let title = spec.kind !== "bands" ? spec.title : spec.title.replace("percentiles",
    this.runs.length === 1 ? "percentiles 2-16-50-84-98" : this.runs.length <= 3 ? "median, 16-84 band" : "median; dashed: 84th pct");
  if (spec.kind === "dead") {     // what is drawn: dead units (ReLU), saturated activations (tanh, sigmoid), or both
    const has = k => p.drawn.some(d => d[k].some(v => v !== null));
    title = has("dead") && has("sat") ? "dead (solid) / saturated (dashed) %"
      : has("sat") ? "saturated activations (%, dashed)" : has("dead") ? "dead units (%)" : spec.title;
  }
  ctx.fillText(title, H.W / 2, 14);
  const w = H.W - H.L - H.R, h = H.H - H.T - H.B;
  if (!p.drawn.length) {
    const why = (p.series.find(s => s.why) || {}).why || WL.NO_HEALTH;
    ctx.strokeStyle = "#ccc"; ctx.strokeRect(H.L, H.T, w, h);
    ctx.fillStyle = "#666"; ctx.font = "13px sans-serif";
    ctx.fillText(why, H.L + w / 2, H.T + h / 2 + 4);
    p.empty = why;
    return;
  }
  if (spec.key === "ratio") {       // the healthy band, 10^-4..10^-2, and 10^-3 dotted
    const [, ya] = this.px(p, 0, -2), [, yb] = this.px(p, 0, -4), [, ym] = this.px(p, 0, -3);
    ctx.fillStyle = "rgba(44,160,44,0.13)"; ctx.fillRect(H.L, ya, w, yb - ya);
    ctx.strokeStyle = "#2ca02c"; ctx.setLineDash([2, 3]); ctx.beginPath();
    ctx.moveTo(H.L, ym); ctx.lineTo(H.L + w, ym); ctx.stroke(); ctx.setLineDash([]);
  }
  this.axes(ctx, p);
  ctx.save(); ctx.beginPath(); ctx.rect(H.L, H.T, w, h); ctx.clip();
  const multi = this.runs.length > 1, few = this.runs.length <= 3;
  for (const s of p.drawn) {
    // a run picked out in the legend: the others faint
    ctx.globalAlpha = this.focus === null || this.focus === s.run ? 1 : 0.15;
    if (spec.kind === "line") {
      this.line(ctx, p, s.x, s.ys, s.color, [], 1.5);
      if (s.zeros && s.zeros.some(v => v !== null)) {
        this.line(ctx, p, s.x, s.zeros.map(v => v === null ? null : p.y0), s.color, [4, 3], 2, -1);
        p.zeros = true;
      }
    }
    else if (spec.kind === "dead") {
      // runs often share a share (0% dead): each run's line 2 px from the next, so all show
      const dy = 2 * (s.run - (this.runs.length - 1) / 2);
      this.line(ctx, p, s.x, s.dead, s.color, [], 1.6, dy);
      this.line(ctx, p, s.x, s.sat, s.color, [5, 3], 1.5, dy);
    } else if (spec.kind === "bands") {
      const col = j => s.P.map(q => q ? q[j] : null);
      // one run: 2-98 and 16-84 bands; a few: 16-84; many: the 84th percentile dashed
      const a = ctx.globalAlpha;
      if (!multi) this.band(ctx, p, s.x, col(0), col(4), s.color, 0.14 * a);
      if (few) this.band(ctx, p, s.x, col(1), col(3), s.color, (multi ? 0.15 : 0.3) * a);
      else this.line(ctx, p, s.x, col(3), s.color, [3, 2], 1);
      ctx.globalAlpha = a;
      this.line(ctx, p, s.x, col(2), s.color, [], 1.5);
    }
  }
  ctx.globalAlpha = 1;
  ctx.restore();
  if (p.zeros) {
    ctx.fillStyle = "#333"; ctx.font = "11px sans-serif"; ctx.textAlign = "right";
    ctx.fillText("dashed on the axis: 0", H.W - H.R - 4, H.T + 12);
  }
};

WL.Health.prototype.axes = function (ctx, p) {
  const H = WL.HP, w = H.W - H.L - H.R, h = H.H - H.T - H.B, hist = p.spec.kind === "hist";
  ctx.strokeStyle = "#999"; ctx.lineWidth = 1; ctx.strokeRect(H.L, H.T, w, h);
  ctx.fillStyle = "#333"; ctx.font = "11px sans-serif"; ctx.textAlign = "center";
  const xs = WL.niceStep((p.x1 - p.x0) / 4);
  for (let x = Math.ceil(p.x0 / xs - 1e-9) * xs; x <= p.x1 + 1e-9; x += xs) {
    ctx.fillText(WL.fmt(WL.tick(x, xs), 3), this.px(p, x, 0)[0], H.T + h + 13);
  }
  ctx.fillText(hist ? (p.spec.key === "whist" ? "weight" : "activation") : "epoch", H.L + w / 2, H.T + h + 26);
  ctx.textAlign = "right";
  if (hist) { ctx.save(); ctx.translate(11, H.T + h / 2); ctx.rotate(-Math.PI / 2); ctx.textAlign = "center"; ctx.fillText("density", 0, 0); ctx.restore(); return; }
  // whole decades on log10 axes (every other one, or more, over a wide range)
  const ys = p.spec.log || p.spec.key === "ratio" ? Math.max(1, Math.ceil((p.y1 - p.y0) / 6))
    : p.spec.key === "dead" ? 25 : WL.niceStep((p.y1 - p.y0) / 4);
  for (let y = Math.ceil(p.y0 / ys - 1e-9) * ys; y <= p.y1 + 1e-9; y += ys) {
    const label = !p.spec.log ? WL.fmt(WL.tick(y, ys), 3)
      : y >= -3 && y <= 4 ? WL.fmt(Number(Math.pow(10, y).toPrecision(3)), 3) : "1e" + Math.round(y);
    ctx.fillText(label, H.L - 4, this.px(p, 0, y)[1] + 4);
  }
};

/* A tick's value as printed: 0 where float steps leave 1e-17. */
WL.tick = function (v, step) { return Math.abs(v) < step * 1e-6 ? 0 : Number(v.toPrecision(6)); };

WL.Health.prototype.line = function (ctx, p, xs, ys, color, dash, width, dy) {
  ctx.strokeStyle = color; ctx.lineWidth = width; ctx.setLineDash(dash); ctx.beginPath();
  let pen = false;
  ys.forEach((v, k) => {
    if (v === null || xs[k] === null) { pen = false; return; }
    const [x, y] = this.px(p, xs[k], v);
    if (pen) ctx.lineTo(x, y + (dy || 0)); else ctx.moveTo(x, y + (dy || 0));
    pen = true;
  });
  ctx.stroke(); ctx.setLineDash([]);
};

WL.Health.prototype.band = function (ctx, p, xs, lo, hi, color, alpha) {
  const pts = xs.map((x, k) => [x, lo[k], hi[k]]).filter(([, a, b]) => a !== null && b !== null);
  if (!pts.length) return;
  ctx.globalAlpha = alpha; ctx.fillStyle = color; ctx.beginPath();
  pts.forEach(([x, a], k) => { const [X, Y] = this.px(p, x, a); if (k) ctx.lineTo(X, Y); else ctx.moveTo(X, Y); });
  for (let k = pts.length - 1; k >= 0; k--) { const [X, Y] = this.px(p, pts[k][0], pts[k][2]); ctx.lineTo(X, Y); }
  ctx.closePath(); ctx.fill();
};

/* The probe record of series s shown at epoch e: the last at or before it. */
WL.probeAt = function (xs, e) {
  let k = 0;
  for (let j = 0; j < xs.length; j++) if (xs[j] <= e + 1e-9) k = j;
  return k;
};

/* Redraw every panel for the slider's epoch. */
WL.Health.prototype.draw = function (epoch) {
  this.epoch = epoch;
  for (const p of this.panels) {
    const ctx = p.canvas.getContext("2d"), H = WL.HP;
    ctx.setTransform(1, 0, 0, 1, 0, 0); ctx.drawImage(p.base, 0, 0);
    ctx.setTransform(p.dpr, 0, 0, p.dpr, 0, 0);
    if (p.empty) { p.canvas.dataset.empty = p.empty; continue; }
    if (p.spec.kind === "hist") { this.hist(ctx, p, epoch); continue; }
    const [x] = this.px(p, Math.min(Math.max(epoch, p.x0), p.x1), 0);
    ctx.strokeStyle = "#d00000"; ctx.lineWidth = 2; ctx.beginPath();
    ctx.moveTo(x, H.T); ctx.lineTo(x, H.H - H.B); ctx.stroke();
    p.cursorX = x;
    p.canvas.dataset.cursorEpoch = epoch;
  }
};

WL.Health.prototype.hist = function (ctx, p, epoch) {
  const H = WL.HP, w = H.W - H.L - H.R, h = H.H - H.T - H.B, multi = this.runs.length > 1;
  this.axes(ctx, p);
  const shown = [];
  ctx.save(); ctx.beginPath(); ctx.rect(H.L, H.T, w, h); ctx.clip();
  const outline = (s, d, color, dash, fill) => {
    const n = d.length, bw = (s.bins[1] - s.bins[0]) / n, y0 = this.px(p, 0, 0)[1];
    ctx.beginPath(); ctx.moveTo(this.px(p, s.bins[0], 0)[0], y0);
    d.forEach((v, j) => {
      const [xa, y] = this.px(p, s.bins[0] + j * bw, v), [xb] = this.px(p, s.bins[0] + (j + 1) * bw, v);
      ctx.lineTo(xa, y); ctx.lineTo(xb, y);
    });
    ctx.lineTo(this.px(p, s.bins[1], 0)[0], y0);
    if (fill) { ctx.globalAlpha = 0.35; ctx.fillStyle = color; ctx.fill(); ctx.globalAlpha = 1; }
    ctx.strokeStyle = color; ctx.lineWidth = 1.4; ctx.setLineDash(dash); ctx.stroke(); ctx.setLineDash([]);
  };
  let zeros = null;
  for (const s of p.drawn) {
    const k = WL.probeAt(s.x, epoch), d = s.density[k];
    shown.push(k);
    ctx.globalAlpha = this.focus === null || this.focus === s.run ? 1 : 0.15;
    if (!multi && s.density[0]) outline(s, s.density[0], "#888", [4, 3], false);   // at the start
    if (d) outline(s, d, s.color, [], !multi);
    if (s.relu && d && !multi) zeros = d[0] * (s.bins[1] - s.bins[0]) / d.length;
  }
  ctx.globalAlpha = 1;
  ctx.restore();
  ctx.font = "11px sans-serif"; ctx.textAlign = "right"; ctx.fillStyle = "#333";
  if (!multi) {
    ctx.fillText(`epoch ${WL.fmt(p.drawn[0].x[shown[0]], 3)}` + " (dashed: start)", H.L + w - 4, H.T + 12);
    if (zeros !== null) ctx.fillText(`first bin (zeros): ${(100 * zeros).toFixed(0)}%`, H.L + w - 4, H.T + 25);
  }
  p.shown = shown;
  p.canvas.dataset.shown = JSON.stringify(shown);
  p.canvas.dataset.cursorEpoch = epoch;
};

/* For scripts and tests: a panel's state (cursor x in CSS pixels, the probe
   record each run shows, or why it is empty). */
WL.Health.prototype.state = function (layer, key) {
  const p = this.panels.find(q => q.layer === layer && q.spec.key === key);
  if (!p) return null;
  const r = p.canvas.getBoundingClientRect();
  return { empty: p.empty || null, shown: p.shown || null,
           cursorPx: p.cursorX === undefined ? null : p.cursorX * r.width / WL.HP.W,
           left: r.left, top: r.top, width: r.width, height: r.height };
};
