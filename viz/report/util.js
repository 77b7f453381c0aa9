/* weightlapse report: data decoding and colours (plain JS, no dependencies).
   Values are 8-bit codes on each layer's own scale q: code 0 is a non-finite
   value, 1..255 stand for (code - 128) / 127 * q. */
"use strict";
const WL = {};

WL.bytes = function (b64) {
  const s = atob(b64), out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
};
WL.floats = function (b64) { return new Float32Array(WL.bytes(b64).buffer); };

WL.fmt = function (v, digits) {
  if (v === null || v === undefined || Number.isNaN(v)) return "—";
  if (typeof v !== "number") return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
  return v.toPrecision(digits || 4).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
};

/* The colour table (256 entries of a diverging map, blue < 0 < red). */
WL.Colors = function (hex) {
  this.hex = hex;
  this.rgb = hex.map(h => [1, 3, 5].map(k => parseInt(h.substr(k, 2), 16)));
};
/* LUT index of value v on the symmetric scale [-s, s]; -1 when not finite. */
WL.Colors.prototype.index = function (v, s) {
  if (!Number.isFinite(v)) return -1;
  const x = Math.floor((v / s * 0.5 + 0.5) * 255 + 0.5);
  return x < 0 ? 0 : x > 255 ? 255 : x;
};
WL.Colors.prototype.css = function (v, s) {
  const k = this.index(v, s);
  return k < 0 ? "#9e9e9e" : this.hex[k];
};

/* One layer's held values: W[rows, cols] and b[cols] for each kept snapshot. */
WL.Layer = function (d, S) {
  this.rows = d.rows; this.cols = d.cols; this.R = d.rows.length; this.C = d.cols.length;
  this.S = S; this.color = d.color;
  this.rowOf = new Map(d.rows.map((u, k) => [u, k]));
  this.colOf = new Map(d.cols.map((u, k) => [u, k]));
  this.w0 = WL.floats(d.w0); this.b0 = WL.floats(d.b0);
  this.cw = WL.bytes(d.cw.data); this.qcw = d.cw.q;
  this.uw = WL.bytes(d.uw.data); this.quw = d.uw.q;
  this.cb = WL.bytes(d.cb.data); this.qcb = d.cb.q;
  this.ub = WL.bytes(d.ub.data); this.qub = d.ub.q;
  this.mask = d.mask ? WL.bytes(d.mask) : null;     // top:K edges drawn (1) or not (0)
};
function dec(code, q) { return code === 0 ? NaN : (code - 128) / 127 * q; }
/* Edge (r, c) in held positions at kept snapshot s. */
WL.Layer.prototype.edge = function (kind, s, r, c) {
  const k = (s * this.R + r) * this.C + c;
  if (kind === "update") return dec(this.uw[k], this.quw);
  const ch = dec(this.cw[k], this.qcw);
  return kind === "change" ? ch : this.w0[r * this.C + c] + ch;
};
WL.Layer.prototype.bias = function (kind, s, c) {
  const k = s * this.C + c;
  if (kind === "update") return dec(this.ub[k], this.qub);
  const ch = dec(this.cb[k], this.qcb);
  return kind === "change" ? ch : this.b0[c] + ch;
};
/* All of one layer's edge values at snapshot s into out (Float32Array R*C). */
WL.Layer.prototype.fill = function (kind, s, out) {
  const n = this.R * this.C, base = s * n;
  const codes = kind === "update" ? this.uw : this.cw;
  const q = (kind === "update" ? this.quw : this.qcw) / 127;
  const add = kind === "weight";
  for (let k = 0; k < n; k++) {
    const c = codes[base + k];
    out[k] = c === 0 ? NaN : (c - 128) * q + (add ? this.w0[k] : 0);
  }
  return out;
};

/* A run as the page sees it. */
WL.Run = function (d, id) {
  Object.assign(this, d);
  this.id = id;
  this.S = d.epochs.length;
  this.layers = d.layers.map(l => new WL.Layer(l, this.S));
  this.samples = d.samples ? new WL.Samples(d.samples, this.S) : null;   // samples.js
};
/* The kept snapshot shown at epoch e: the last one at or before e. */
WL.Run.prototype.snapAt = function (e) {
  let lo = 0, hi = this.S - 1;
  if (e < this.epochs[0] - 1e-9) return 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (this.epochs[mid] <= e + 1e-9) lo = mid; else hi = mid - 1;
  }
  return lo;
};
/* W[layer][i, j] (unit indices) at kept snapshot s, or null if not held. */
WL.Run.prototype.value = function (kind, layer, i, j, s) {
  const L = this.layers[layer];
  if (!L || !(WL.QUANTITIES || []).includes(kind)) return null;
  const r = L.rowOf.get(i), c = L.colOf.get(j);
  if (r === undefined || c === undefined) return null;
  const v = L.edge(kind, s, r, c);
  return Number.isFinite(v) ? v : null;
};
