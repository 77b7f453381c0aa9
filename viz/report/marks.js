/* Dead and saturated units on the network (viz.unit_health, as the film
   draws them): a dead unit hollow (white inside a thick grey ring), a
   saturated one ringed, and each hidden layer's count under its label; and
   the update-ratio strips (viz.ratio_strip) under the network, with a
   cursor at the slider's step. */
"use strict";

WL.NetView.prototype.markFlags = function (l, s) {
  const m = this.run.marks;
  if (!m) return null;
  if (!this.flagBytes) this.flagBytes = m.layers.map(L => WL.bytes(L.flags));
  const k = m.layers.findIndex(L => L.layer === l);
  if (k < 0) return null;
  const n = this.scene.layers[l].units.length;
  return this.flagBytes[k].subarray(s * n, (s + 1) * n);
};

/* Over the units drawn at kept snapshot s: the marks, and the count lines. */
WL.NetView.prototype.drawMarks = function (s) {
  const m = this.run.marks, ctx = this.ctx, sc = this.scene, ts = this.textScale;
  if (!m) return;
  this.countBoxes = [];
  m.layers.forEach(L => {
    const layer = sc.layers[L.layer], f = this.markFlags(L.layer, s);
    if (layer.kind !== "units") return;
    const r = layer.r;
    for (let k = 0; k < layer.units.length; k++) {
      if (f[k] & 1) {                   // dead: hollow
        const w = Math.max(0.33 * r, 1.2);
        ctx.beginPath(); ctx.arc(layer.x, layer.y[k], r - w / 2, 0, 2 * Math.PI);
        ctx.fillStyle = "#ffffff"; ctx.fill();
        ctx.lineWidth = w; ctx.strokeStyle = "#8c8c8c"; ctx.stroke();
      }
      if (f[k] & 2) {                   // saturated: ringed
        const w = Math.max(1, 0.22 * r);
        ctx.beginPath(); ctx.arc(layer.x, layer.y[k], r + Math.max(1.5, 0.3 * r) + w / 2, 0, 2 * Math.PI);
        ctx.lineWidth = w; ctx.strokeStyle = "#1a1a1a"; ctx.stroke();
      }
    }
    // the count, over every unit of the layer, on the label's second line
    const text = [layer.shown, `${L.counts[s]} ${m.kind}`].filter(Boolean).join(" · ");
    ctx.fillStyle = "#222";
    this.countBoxes.push(this.columnText(ctx, L.layer, text, sc.height - 6 - 5 * ts, true));
  });
};

/* The strips: one per weight matrix, under the gap it spans. */
WL.Strips = function (run, canvas, textScale) {
  this.run = run; this.strip = run.strip; this.canvas = canvas;
  this.ts = textScale || 1;
  const sc = run.scene, dpr = window.devicePixelRatio || 1;
  this.W = sc.width; this.H = Math.round(58 * this.ts);
  canvas.width = Math.round(this.W * dpr); canvas.height = Math.round(this.H * dpr);
  this.dpr = dpr; this.ctx = canvas.getContext("2d");
  const xs = sc.layers.map((layer, l) => l === 0 && sc.image ? sc.grid.x + sc.grid.s / 2 : layer.x);
  this.boxes = this.strip.layers.map((_, l) => {
    const a = xs[l], b = xs[l + 1], w = Math.min((b - a) * 0.7, 260);
    return { x: (a + b) / 2 - w / 2, y: 14 * this.ts, w, h: this.H - 18 * this.ts };
  });
};

WL.Strips.prototype.xAt = function (box, step) {
  const last = Math.max(this.strip.last, 1), pad = 0.02 * last;
  return box.x + (step + pad) / (last + 2 * pad) * box.w;
};

WL.Strips.prototype.yAt = function (box, v) {
  const [lo, hi] = this.strip.ylim;
  return box.y + box.h - (Math.min(Math.max(v, lo), hi) - lo) / (hi - lo) * box.h;
};

/* Draw every strip with its cursor at training step `step`. */
WL.Strips.prototype.draw = function (step) {
  const ctx = this.ctx, st = this.strip;
  ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
  ctx.fillStyle = "#ffffff"; ctx.fillRect(0, 0, this.W, this.H);
  this.cursors = [];
  this.boxes.forEach((b, l) => {
    const S = st.layers[l];
    ctx.fillStyle = "#d9efd9";
    const top = this.yAt(b, st.band[1]), bottom = this.yAt(b, st.band[0]);
    ctx.fillRect(b.x, top, b.w, bottom - top);
    ctx.strokeStyle = "#4a9a4a"; ctx.lineWidth = 0.8; ctx.setLineDash([2, 2]);
    ctx.beginPath(); ctx.moveTo(b.x, this.yAt(b, st.healthy)); ctx.lineTo(b.x + b.w, this.yAt(b, st.healthy)); ctx.stroke();
    ctx.setLineDash([]);
    ctx.strokeStyle = "#262626"; ctx.lineWidth = 1.2; ctx.beginPath();
    S.steps.forEach((x, k) => { const px = this.xAt(b, x), py = this.yAt(b, S.log10[k]); if (k) ctx.lineTo(px, py); else ctx.moveTo(px, py); });
    ctx.stroke();
    ctx.strokeStyle = "#999"; ctx.lineWidth = 0.5; ctx.strokeRect(b.x, b.y, b.w, b.h);
    const cx = this.xAt(b, step);
    ctx.strokeStyle = "#d62728"; ctx.lineWidth = 1.5;
    ctx.beginPath(); ctx.moveTo(cx, b.y); ctx.lineTo(cx, b.y + b.h); ctx.stroke();
    this.cursors.push(cx);
    ctx.fillStyle = "#333"; ctx.font = `${Math.round(11 * this.ts)}px sans-serif`; ctx.textAlign = "left";
    const long = `W[${l}] log10 update ratio`;
    ctx.fillText(ctx.measureText(long).width <= b.w ? long : `W[${l}]`, b.x, b.y - 3 * this.ts);
  });
};
