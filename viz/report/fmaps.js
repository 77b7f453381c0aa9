/* A conv run's feature maps (viz/report/fmaps.py): right of each shown
   channel, its map on the chosen sample at the snapshot shown. */
"use strict";

WL.NetView.prototype.drawFeatureMaps = function (s) {
  const m = this.run.fmaps, S = this.run.samples, k = this.sample, ctx = this.ctx;
  if (!m || !S || k === null || k === undefined) return;
  if (!this.fmapCodes) {
    this.fmapCodes = m.layers.map(L => WL.bytes(L.data));
    this.fmapRGB = m.lut.map(h => [1, 3, 5].map(j => parseInt(h.substr(j, 2), 16)));
    this.fmapCanvas = m.layers.map(L => {
      const c = document.createElement("canvas");
      c.width = L.g; c.height = L.g * L.boxes.length;
      return c;
    });
  }
  const row = m.snaps[s], n = S.rows.length;
  ctx.imageSmoothingEnabled = false;
  ctx.strokeStyle = "#737373"; ctx.lineWidth = 1;
  m.layers.forEach((L, i) => {
    const g = L.g, gg = g * g, units = L.boxes.length, c = this.fmapCanvas[i];
    const cx = c.getContext("2d"), img = cx.createImageData(g, g * units), px = img.data;
    const base = ((row * n + k) * units) * gg, codes = this.fmapCodes[i], rgb = this.fmapRGB;
    for (let p = 0; p < units * gg; p++) {
      const col = rgb[codes[base + p]], o = p * 4;
      px[o] = col[0]; px[o + 1] = col[1]; px[o + 2] = col[2]; px[o + 3] = 255;
    }
    cx.putImageData(img, 0, 0);
    L.boxes.forEach(([x, y, w, h], o) => {
      ctx.drawImage(c, 0, o * g, g, g, x, y, w, h);
      ctx.strokeRect(x - 0.5, y - 0.5, w + 1, h + 1);
    });
  });
};
