/* Loss and accuracy against epoch for every run, with a cursor at the
   slider's epoch; a click on either plot asks to jump to that epoch. */
"use strict";

WL.RUN_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                 "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

WL.Curves = function (canvas, runs, onJump) {
  this.canvas = canvas; this.runs = runs;
  const dpr = window.devicePixelRatio || 1;
  this.ctx = canvas.getContext("2d");
  this.W = 960; this.dpr = dpr;
  this.legend = this.legendRows(runs);
  // the plots, their epoch axis, then the key and as many rows of run names as they need
  this.H = WL.CURVES_TOP + WL.CURVES_H + 44 + 18 * this.legend.length;
  canvas.width = this.W * dpr; canvas.height = this.H * dpr;
  const ep = runs.flatMap(r => r.metrics.epoch || []).concat(runs.flatMap(r => r.epochs));
  this.e0 = Math.min(...ep); this.e1 = Math.max(...ep);
  if (!(this.e1 > this.e0)) this.e1 = this.e0 + 1;
  const hasAcc = runs.some(r => (r.metrics.train_acc || []).some(v => v !== null));
  this.plots = [{ key: "loss", x: 60, w: 380 }];
  if (hasAcc) this.plots.push({ key: "acc", x: 540, w: 380 });
  for (const p of this.plots) {
    const vals = runs.flatMap(r => [].concat(r.metrics["train_" + p.key] || [],
                                             r.metrics["val_" + p.key] || []))
      .filter(v => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
    const q = f => vals.length ? vals[Math.floor(f * (vals.length - 1))] : NaN;
    if (p.key === "acc") {
      // the whole curve, from its lowest value (rounded down to a tenth): an axis
      // starting higher would draw the first, near-chance epochs flat on it
      p.lo = vals.length ? Math.max(0, Math.floor(vals[0] * 10 + 1e-9) / 10) : 0; p.hi = 1;
      if (p.lo >= p.hi) p.lo = 0.9;
    } else {
      p.hi = (q(0.98) || 1) * 1.08;
      const low = q(0.02);
      // losses falling over decades read best on a log axis
      p.log = low > 0 && p.hi / low > 30;
      p.lo = p.log ? Math.pow(10, Math.floor(Math.log10(low))) : 0;
      if (p.log) p.hi = Math.pow(10, Math.ceil(Math.log10(p.hi)));
    }
  }
  this.cursorEpoch = null;
  canvas.addEventListener("click", ev => {
    const rect = canvas.getBoundingClientRect();
    const x = (ev.clientX - rect.left) * this.W / rect.width;
    const p = this.plots.find(p => x >= p.x - 10 && x <= p.x + p.w + 10);
    if (p) onJump(this.e0 + Math.max(0, Math.min(1, (x - p.x) / p.w)) * (this.e1 - this.e0));
  });
};

WL.CURVES_TOP = 24; WL.CURVES_H = 196;
WL.CURVES_KEY = "dashed: train · solid: validation · red line: the slider";

/* The legend's rows, each a list of [text, x, colour or null]: the key
   first, then the run names wrapped to the canvas's width. */
WL.Curves.prototype.legendRows = function (runs) {
  const ctx = this.ctx, left = 60, right = this.W - 20;
  ctx.font = "12px sans-serif";
  const rows = [[[WL.CURVES_KEY, left, null]]];
  if (runs.length < 2) return rows;
  let row = [], x = left;
  runs.forEach((run, n) => {
    const w = 26 + ctx.measureText(run.name).width;
    if (row.length && x + w > right) { rows.push(row); row = []; x = left; }
    row.push([run.name, x, WL.RUN_COLORS[n % 10]]); x += w;
  });
  if (row.length) rows.push(row);
  return rows;
};

/* 1, 2 or 5 times a power of ten, near x: tick spacing a person reads easily. */
WL.niceStep = function (x) {
  if (!(x > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(x))), f = x / p;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
};

WL.Curves.prototype.xOf = function (p, e) { return p.x + (e - this.e0) / (this.e1 - this.e0) * p.w; };

WL.Curves.prototype.draw = function (epoch) {
  const ctx = this.ctx, top = WL.CURVES_TOP, h = WL.CURVES_H;
  ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, this.W, this.H);
  for (const p of this.plots) {
    const f = p.log ? Math.log10 : (v => v);
    const yOf = v => top + h - (f(Math.min(Math.max(v, p.lo), p.hi)) - f(p.lo)) / (f(p.hi) - f(p.lo)) * h;
    ctx.strokeStyle = "#999"; ctx.lineWidth = 1; ctx.strokeRect(p.x, top, p.w, h);
    ctx.fillStyle = "#333"; ctx.font = "12px sans-serif"; ctx.textAlign = "right";
    if (p.log) {
      for (let v = p.lo; v <= p.hi * 1.0001; v *= 10) ctx.fillText(WL.fmt(Number(v.toPrecision(3)), 3), p.x - 4, yOf(v) + 4);
    } else {
      const step = WL.niceStep((p.hi - p.lo) / 4);
      for (let v = Math.ceil(p.lo / step) * step; v <= p.hi + 1e-9; v += step) {
        ctx.fillText(WL.fmt(Number(v.toPrecision(6)), 3), p.x - 4, yOf(v) + 4);
      }
    }
    ctx.textAlign = "center";
    const estep = WL.niceStep((this.e1 - this.e0) / 5);
    for (let e = Math.ceil(this.e0 / estep) * estep; e <= this.e1 + 1e-9; e += estep) {
      ctx.fillText(WL.fmt(Number(e.toPrecision(6)), 3), this.xOf(p, e), top + h + 15);
    }
    ctx.fillText("epoch", p.x + p.w / 2, top + h + 30);
    ctx.font = "bold 13px sans-serif";
    ctx.fillText(p.key === "loss" ? (p.log ? "loss (log scale)" : "loss") : "accuracy", p.x + p.w / 2, top - 8);
    this.runs.forEach((run, n) => {
      const m = run.metrics, col = WL.RUN_COLORS[n % 10];
      [["train_", [5, 3]], ["val_", []]].forEach(([split, dash]) => {
        const ys = m[split + p.key]; if (!ys) return;
        ctx.setLineDash(dash); ctx.strokeStyle = col; ctx.lineWidth = 1.5; ctx.beginPath();
        let pen = false;
        ys.forEach((v, k) => {
          if (v === null || !Number.isFinite(v)) { pen = false; return; }
          const x = this.xOf(p, m.epoch[k]), y = yOf(v);
          if (pen) ctx.lineTo(x, y); else ctx.moveTo(x, y);
          pen = true;
        });
        ctx.stroke(); ctx.setLineDash([]);
      });
    });
    if (epoch !== null) {
      const x = this.xOf(p, epoch);
      ctx.strokeStyle = "#d00000"; ctx.lineWidth = 2; ctx.beginPath();
      ctx.moveTo(x, top); ctx.lineTo(x, top + h); ctx.stroke();
    }
  }
  // legend: the key, then the runs' colours, wrapped
  ctx.font = "12px sans-serif"; ctx.textAlign = "left";
  this.legend.forEach((row, k) => {
    const ly = top + h + 44 + 18 * k + 10;
    row.forEach(([text, x, col]) => {
      if (col) { ctx.fillStyle = col; ctx.fillRect(x, ly - 5, 14, 3); x += 18; }
      ctx.fillStyle = "#333"; ctx.fillText(text, x, ly);
    });
  });
  this.cursorEpoch = epoch;
  this.canvas.dataset.cursorEpoch = epoch;
};

/* The cursor's x in CSS pixels from the canvas's left edge, per plot. */
WL.Curves.prototype.cursorPx = function () {
  const rect = this.canvas.getBoundingClientRect();
  return this.plots.map(p => this.xOf(p, this.cursorEpoch) * rect.width / this.W);
};
