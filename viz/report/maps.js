/* 2-D data: each shown hidden unit's output over the input plane (viz.unit_maps),
   drawn in its box beside the unit, at the snapshot shown. */
"use strict";

WL.NetView.prototype.drawMaps = function (s) {
  const m = this.run.maps, g = m.g, ctx = this.ctx, sc = this.scene;
  if (!this.mapCodes) {
    this.mapCodes = m.layers.map(L => WL.bytes(L.data));
    this.mapRGB = m.lut.map(h => [1, 3, 5].map(k => parseInt(h.substr(k, 2), 16)));
    const n = m.layers.reduce((a, L) => a + L.boxes.length, 0);
    this.mapCanvas = document.createElement("canvas");
    this.mapCanvas.width = g; this.mapCanvas.height = g * n;
    this.mapCtx = this.mapCanvas.getContext("2d");
    this.mapImg = this.mapCtx.createImageData(g, g * n);
  }
  const px = this.mapImg.data, rgb = this.mapRGB, row = m.snaps[s], gg = g * g;
  let j = 0;
  m.layers.forEach((L, k) => {
    const codes = this.mapCodes[k], n = L.boxes.length * gg, base = row * n;
    for (let p = 0; p < n; p++) {
      const c = rgb[codes[base + p]], o = (j * gg + p) * 4;
      px[o] = c[0]; px[o + 1] = c[1]; px[o + 2] = c[2]; px[o + 3] = 255;
    }
    j += L.boxes.length;
  });
  this.mapCtx.putImageData(this.mapImg, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.strokeStyle = "#737373"; ctx.lineWidth = 1;
  j = 0;
  m.layers.forEach(L => {
    const layer = sc.layers[L.layer];
    L.boxes.forEach(([x, y, w, h], o) => {
      ctx.beginPath(); ctx.moveTo(x + w, layer.y[o]); ctx.lineTo(layer.x - layer.r, layer.y[o]); ctx.stroke();
      ctx.drawImage(this.mapCanvas, 0, (j + o) * g, g, g, x, y, w, h);
      ctx.strokeRect(x - 0.5, y - 0.5, w + 1, h + 1);
    });
    j += L.boxes.length;
  });
};
