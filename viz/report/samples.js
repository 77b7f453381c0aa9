/* The strip of held-out samples (viz/report/samples.py): decoding their
   activations, the strip to click under a run's network, and what the
   network draws of the chosen one (unit fills, input, probability bars). */
"use strict";

WL.Samples = function (d, S) {
  Object.assign(this, d);
  this.S = S; this.n = d.rows.length;
  this.codes = d.layers.map(L => WL.bytes(L.data));
  this.U = d.layers.map((L, k) => this.codes[k].length / (S * this.n));
  this.pixels = d.image ? WL.bytes(d.image) : null;
};
/* Activation of shown unit u (its position) of layer l >= 1, sample k, kept snapshot s. */
WL.Samples.prototype.act = function (l, s, k, u) {
  const L = this.layers[l - 1], U = this.U[l - 1];
  return L.lo[k] + this.codes[l - 1][(s * this.n + k) * U + u] / 255 * (L.hi[k] - L.lo[k]);
};
/* The fill of value v of layer l for sample k, on that sample's range. */
WL.Samples.prototype.css = function (l, v, k) {
  const L = this.layers[l - 1], t = (v - L.lo[k]) / Math.max(L.hi[k] - L.lo[k], 1e-12);
  const c = Math.max(0, Math.min(255, Math.round(t * 255)));
  return (L.lo[k] < 0 ? this.signed : this.lut)[c];
};
/* A classifier's answer at snapshot s over every output, shown or not:
   [class index, probability]; null for a regression. */
WL.Samples.prototype.answer = function (s, k) {
  if (!this.probability) return null;
  return [this.answers.class[s][k], this.answers.probability[s][k]];
};
/* What the fills of the first hidden layer mean for sample k, in numbers. */
WL.Samples.prototype.key = function (k) {
  const L = this.layers[0], f = v => (Math.abs(v) >= 100 ? v.toFixed(0) : +v.toPrecision(2)).toString().replace("-", "\u2212");
  return L.lo[k] < 0 ? `purple ${f(L.lo[k])}, white 0, orange ${f(L.hi[k])}`
                     : `white 0, orange ${f(L.hi[k])}`;
};
/* Sample k's image drawn on a canvas (grey, ink dark), or null for tables. */
WL.Samples.prototype.canvas = function (k, g) {
  if (!this.pixels) return null;
  const c = document.createElement("canvas"), n = g.w * g.h;
  c.width = g.w; c.height = g.h;
  const ctx = c.getContext("2d"), img = ctx.createImageData(g.w, g.h);
  for (let p = 0; p < n; p++) {
    const v = 255 - this.pixels[k * n + p];
    img.data.set([v, v, v, 255], p * 4);
  }
  ctx.putImageData(img, 0, 0);
  return c;
};

/* The strip under a run's network: one button per sample; onPick(k or null). */
WL.sampleStrip = function (box, view, onPick) {
  const S = view.run.samples, g = view.scene.grid;
  const strip = WL.el("div", { class: "samples", "data-run": view.run.id });
  strip.appendChild(WL.el("span", { class: "hint" }, "held-out samples (click one to follow it through the network):"));
  const buttons = S.rows.map((row, k) => {
    const b = WL.el("button", { type: "button", class: "sample", "data-k": k,
                                title: `held-out row ${row}` + (S.labels[k] !== null ? `, true ${S.labels[k]}` : "") });
    const c = g ? S.canvas(k, g) : null;
    if (c) { c.className = "thumb"; b.appendChild(c); }
    b.appendChild(WL.el("span", {}, c ? (S.labels[k] ?? `#${row}`) : `row ${row}` + (S.labels[k] !== null ? ` (${S.labels[k]})` : "")));
    b.addEventListener("click", () => onPick(view.sample === k ? null : k));
    strip.appendChild(b);
    return b;
  });
  const answer = WL.el("p", { class: "answer" }, "");
  view.canvas.after(answer, strip);      // under the network: its answer, then the strip
  view.sampleButtons = buttons; view.answerEl = answer;
};

/* The strip's selection and the answer line, after a draw at kept snapshot s. */
WL.NetView.prototype.showSample = function (s) {
  const S = this.run.samples;
  if (!S || !this.sampleButtons) return;
  this.sampleButtons.forEach((b, k) => b.classList.toggle("chosen", k === this.sample));
  const k = this.sample;
  if (k === null || k === undefined) { this.answerEl.textContent = "No sample chosen: unit fills show the biases."; return; }
  const a = S.answer(s, k), classes = S.classes || [];
  const said = a ? (classes[a[0]] ?? String(a[0])) : null;
  let text = `held-out row ${S.rows[k]}` + (S.labels[k] !== null ? ` (true ${S.labels[k]})` : "");
  if (a) text += `: the network says ${said}, ${Math.round(a[1] * 100)}%`;
  else if (S.answers && S.answers.value[s][k] !== null) {
    const t = S.answers.target ? S.answers.target[k] : null;
    text += `: the network predicts ${S.answers.value[s][k]}` + (t !== null ? ` (target ${t})` : "");
  }
  text += ` · units: activation on it (${S.key(k)})` +
    (S.probability ? ", outputs: class probability" : ", outputs: their bias");
  this.answerEl.textContent = text;
};

/* Unit fill of shown unit k of layer l with the chosen sample, or null (the bias then). */
WL.NetView.prototype.sampleFill = function (l, s, k) {
  const S = this.run.samples, j = this.sample;
  if (!S || j === null || j === undefined) return null;
  if (l === 0) {
    if (!S.values) return null;
    const row = S.values[j], m = Math.max(...row.map(Math.abs), 1e-12);
    const t = Math.round((row[k] / m * 0.5 + 0.5) * 255);
    return S.signed[Math.max(0, Math.min(255, t))];
  }
  if (l === this.scene.layers.length - 1 && !S.probability) return null;
  return S.css(l, S.act(l, s, j, k), j);
};

/* The chosen image in the input grid, and a bar by each output's class name. */
WL.NetView.prototype.drawSample = function (s) {
  const S = this.run.samples, j = this.sample, ctx = this.ctx, sc = this.scene;
  if (!S || j === null || j === undefined) return;
  if (sc.image && this.pick() < 0) {
    const g = sc.grid, c = S.canvas(j, g);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(c, g.x, g.y, g.s, g.sh);
  }
  const l = sc.layers.length - 1, out = sc.layers[l];
  if (!S.probability || out.kind !== "units") return;
  ctx.font = this.font(11);
  const widest = Math.max(0, ...(out.names || []).map(n => ctx.measureText(n).width));
  const x = out.x + out.r + 8 + widest, w = Math.min(44, sc.width - x - 4);
  for (let k = 0; k < out.units.length; k++) {
    const p = S.act(l, s, j, k), y = out.y[k] - 3;
    ctx.fillStyle = "#e6e6e6"; ctx.fillRect(x, y, w, 6);
    ctx.fillStyle = S.lut[255]; ctx.fillRect(x, y, w * Math.max(0, Math.min(1, p)), 6);
  }
};
