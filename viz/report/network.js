/* The network of one run on a canvas: input grid and receptive-field tiles
   (image data), edges between shown units as lines, units as circles
   coloured by their bias. Drawn from the scene the report was built with. */
"use strict";

WL.NetView = function (run, canvas, colors, textScale) {
  this.run = run; this.canvas = canvas; this.colors = colors;
  this.textScale = textScale || 1;     // larger text where the canvas is shown small
  this.scene = run.scene; this.selected = null;
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(this.scene.width * dpr);
  canvas.height = Math.round(this.scene.height * dpr);
  this.dpr = dpr; this.W = canvas.width; this.H = canvas.height;
  this.ctx = canvas.getContext("2d");
  this.backgrounds = {};     // per colour kind: the static picture, drawn once
  this.buf = run.layers.map(L => new Float32Array(L.R * L.C));
  this.hits = [];            // drawn lines, in draw order, for edgeAt
  // per tile gap (image input; a conv run's kernels and pooled maps): one
  // canvas of every unit's tile, stacked, and each tile pixel's row (-1: white)
  this.tileSets = (this.scene.tileGaps || []).map(tg => {
    const L = run.layers[tg.gap], K = L.C, c = document.createElement("canvas");
    c.width = tg.w; c.height = tg.h * K;
    const ctx = c.getContext("2d");
    const pixRow = tg.gap === 0 && !this.scene.conv
      ? Int32Array.from({ length: tg.w * tg.h }, (_, p) => L.rowOf.get(p)) : Int32Array.from(tg.map);
    return { tg, canvas: c, ctx, img: ctx.createImageData(tg.w, tg.h * K), pixRow };
  });
  this.tileGap = new Set((this.scene.tileGaps || []).map(tg => tg.gap));
  this.sample = run.samples ? run.samples.first : null;   // the chosen held-out sample
};

/* What does not change between snapshots: labels, colour bars, the input
   grid, the tiles' frames and connectors. Drawn once per colour kind. */
WL.NetView.prototype.background = function (kind) {
  if (this.backgrounds[kind]) return this.backgrounds[kind];
  const c = document.createElement("canvas");
  c.width = this.W; c.height = this.H;
  const ctx = c.getContext("2d"), sc = this.scene;
  ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
  ctx.fillStyle = "#ffffff"; ctx.fillRect(0, 0, sc.width, sc.height);
  if (sc.image) {
    const g = sc.grid, first = sc.layers[1];
    ctx.fillStyle = "#f2f2f2"; ctx.fillRect(g.x, g.y, g.s, g.sh);
    ctx.strokeStyle = "#d0d0d0"; ctx.lineWidth = 0.5; ctx.beginPath();
    for (let k = 0; k <= g.w; k += 4) { ctx.moveTo(g.x + k * g.s / g.w, g.y); ctx.lineTo(g.x + k * g.s / g.w, g.y + g.sh); }
    for (let k = 0; k <= g.h; k += 4) { ctx.moveTo(g.x, g.y + k * g.sh / g.h); ctx.lineTo(g.x + g.s, g.y + k * g.sh / g.h); }
    ctx.stroke();
    // the fan from the grid to every tile (its unit sees these pixels), then
    // each tile's connector to its unit, through the gaps of the near column
    ctx.strokeStyle = "#d4d4d4"; ctx.lineWidth = 0.6; ctx.beginPath();
    sc.tiles.forEach(t => { ctx.moveTo(g.x + g.s, g.y + g.sh / 2); ctx.lineTo(t.x, t.y + t.sh / 2); });
    ctx.stroke();
    ctx.strokeStyle = "#999999"; ctx.lineWidth = 0.9; ctx.beginPath();
    sc.tiles.forEach((t, j) => { ctx.moveTo(t.x + t.s, t.y + t.sh / 2); ctx.lineTo(first.x, first.y[j]); });
    ctx.stroke();
    // each frame lies just outside its tile, so every tile pixel keeps its colour
    ctx.strokeStyle = "#888"; ctx.lineWidth = 1;
    sc.tiles.forEach(t => ctx.strokeRect(t.x - 0.5, t.y - 0.5, t.s + 1, t.sh + 1));
  }
  (sc.tileGaps || []).filter(tg => tg.gap > 0).forEach(tg => {   // a conv run's later tiles
    const b = sc.layers[tg.gap + 1];
    ctx.strokeStyle = "#bbbbbb"; ctx.lineWidth = 0.8; ctx.beginPath();
    tg.tiles.forEach((t, j) => { ctx.moveTo(t.x + t.s, t.y + t.sh / 2); ctx.lineTo(b.x, b.y[j]); });
    ctx.stroke();
    ctx.strokeStyle = "#888"; ctx.lineWidth = 1;
    tg.tiles.forEach(t => ctx.strokeRect(t.x - 0.5, t.y - 0.5, t.s + 1, t.sh + 1));
  });
  this.drawLegends(ctx, kind);
  this.backgrounds[kind] = c;
  return c;
};

WL.NetView.prototype.draw = function (s, kind) {
  const sc = this.scene, run = this.run, ctx = this.ctx, sel = this.selected;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.drawImage(this.background(kind), 0, 0);
  ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
  this.hits = [];
  this.tileSets.forEach(ts => this.drawTiles(ts, s, kind));
  if (sc.image) this.drawGridText();
  this.drawSample(s);
  for (let l = 0; l < run.layers.length; l++) if (!this.tileGap.has(l)) this.drawEdges(l, s, kind, sel);
  if (run.maps) this.drawMaps(s);         // 2-D data: each hidden unit's map (maps.js)
  if (run.fmaps) this.drawFeatureMaps(s); // a conv run's channels on the sample (fmaps.js)
  for (let l = 0; l < sc.layers.length; l++) this.drawUnits(l, s, kind, sel);
  if (run.marks) this.drawMarks(s);       // dead and saturated units, counts (marks.js)
  this.showSample(s);
};

WL.NetView.prototype.font = function (px) { return `${Math.round(px * this.textScale)}px sans-serif`; };

/* Centred text, moved in from the canvas's edges so none is cut off. */
WL.NetView.prototype.text = function (ctx, str, x, y) {
  const w = ctx.measureText(str).width, half = w / 2 + 3;
  const cx = Math.min(Math.max(x, half), this.scene.width - half);
  ctx.textAlign = "center";
  ctx.fillText(str, cx, y);
  return [cx - w / 2, cx + w / 2];       // the x extent drawn
};

WL.NetView.prototype.pick = function () {
  return this.selected && this.selected.layer === 1 ? this.selected.k :
    this.preview !== undefined ? this.preview : -1;     // clicked, else hovered
};

/* Tiles: W[:, j] of each shown unit of a tile gap, one block per tile pixel
   (receptive fields of an image input; a conv run's kernels, one cell per
   input channel, and the first dense layer's weights from the pooled maps);
   for a dense image input the clicked (or hovered) first-layer unit's field
   is also drawn large in the input grid. */
WL.NetView.prototype.drawTiles = function (ts, s, kind) {
  const ctx = this.ctx, sc = this.scene, tg = ts.tg, l = tg.gap, L = this.run.layers[l];
  const vals = L.fill(kind, s, this.buf[l]), scale = L.color[kind], K = L.C, n = tg.w * tg.h;
  const px = ts.img.data, rgb = this.colors.rgb;
  for (let j = 0; j < K; j++) {
    for (let p = 0; p < n; p++) {
      const r = ts.pixRow[p], k = r < 0 ? -2 : this.colors.index(vals[r * K + j], scale);
      const c = k === -2 ? [255, 255, 255] : k < 0 ? [158, 158, 158] : rgb[k], o = (j * n + p) * 4;
      px[o] = c[0]; px[o + 1] = c[1]; px[o + 2] = c[2]; px[o + 3] = 255;
    }
  }
  ts.ctx.putImageData(ts.img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  tg.tiles.forEach((t, j) => {
    const dim = this.selected && !(this.selected.layer === l + 1 && this.selected.k === j);
    ctx.globalAlpha = dim ? 0.25 : 1;
    ctx.drawImage(ts.canvas, 0, j * tg.h, tg.w, tg.h, t.x, t.y, t.s, t.sh);
  });
  ctx.globalAlpha = 1;
  const pick = l === 0 && !sc.conv ? this.pick() : -1, g = sc.grid;
  if (pick >= 0) ctx.drawImage(ts.canvas, 0, pick * tg.h, tg.w, tg.h, g.x, g.y, g.s, g.sh);
};

WL.NetView.prototype.drawGridText = function () {
  const ctx = this.ctx, g = this.scene.grid, L = this.run.layers[0];
  const pick = this.scene.conv ? -1 : this.pick();
  ctx.fillStyle = "#444"; ctx.font = this.font(12); ctx.textAlign = "center";
  const ts = this.textScale;
  const S = this.run.samples, chosen = S && this.sample !== null && this.sample !== undefined;
  this.text(ctx, pick >= 0 ? `into unit ${L.cols[pick]}` : chosen ? `held-out row ${S.rows[this.sample]}`
    : `input ${g.h}×${g.w}`, g.x + g.s / 2, g.y - 6);
  if (pick < 0 && !this.scene.conv) {
    this.text(ctx, "hover or click a unit", g.x + g.s / 2, g.y + g.sh + 16 * ts);
    this.text(ctx, "to see its weights here", g.x + g.s / 2, g.y + g.sh + 30 * ts);
  }
};

/* Edges of weight matrix l, weakest first (strongest on top), one path per
   colour. Most are hairlines, which the browser draws fast without a GPU;
   only the strongest, which carry the picture, are wider. */
WL.NetView.prototype.drawEdges = function (l, s, kind, sel) {
  const ctx = this.ctx, L = this.run.layers[l], a = this.scene.layers[l], b = this.scene.layers[l + 1];
  const vals = L.fill(kind, s, this.buf[l]), scale = L.color[kind];
  const buckets = new Array(257);
  for (let e = 0; e < L.R * L.C; e++) {
    if (L.mask && !L.mask[e]) continue;
    const k = this.colors.index(vals[e], scale) + 1;   // 0: not finite
    (buckets[k] || (buckets[k] = [])).push(e);
  }
  const order = [0];    // not finite first, then by distance from the middle
  for (let q = 0; q < 128; q++) order.push(128 - q, 129 + q);
  const dense = L.R * L.C > 400;
  for (const pass of sel ? [true, false] : [false]) {      // dimmed ones first
    ctx.globalAlpha = pass ? 0.12 : 1;
    for (const k of order) {
      const list = buckets[k]; if (!list) continue;
      const strength = k === 0 ? 0 : Math.abs(k - 1 - 127.5) / 127.5;
      const width = strength < 0.45 ? 1 : 1 + (dense ? 1.2 : 2) * (strength - 0.45) / 0.55;
      ctx.strokeStyle = k === 0 ? "#9e9e9e" : this.colors.hex[k - 1];
      ctx.lineWidth = width; ctx.beginPath();
      let any = false;
      for (const e of list) {
        const r = (e / L.C) | 0, c = e % L.C;
        const on = !sel || (sel.layer === l && sel.k === r) || (sel.layer === l + 1 && sel.k === c);
        if (sel && on === pass) continue;
        const x1 = a.x, y1 = a.y[r], x2 = b.x, y2 = b.y[c];
        ctx.moveTo(x1, y1); ctx.lineTo(x2, y2); any = true;
        if (!pass) this.hits.push([l, r, c, x1, y1, x2, y2, width]);
      }
      if (any) ctx.stroke();
    }
  }
  ctx.globalAlpha = 1;
};

WL.NetView.prototype.drawUnits = function (l, s, kind, sel) {
  const layer = this.scene.layers[l], ctx = this.ctx;
  if (layer.kind !== "units") return;
  const L = l > 0 ? this.run.layers[l - 1] : null;
  for (let k = 0; k < layer.units.length; k++) {
    ctx.beginPath(); ctx.arc(layer.x, layer.y[k], layer.r, 0, 2 * Math.PI);
    ctx.fillStyle = this.sampleFill(l, s, k) ||
      (L ? this.colors.css(L.bias(kind, s, k), L.color[kind]) : "#b0b0b0");
    ctx.fill();
    const chosen = sel && sel.layer === l && sel.k === k;
    ctx.lineWidth = chosen ? 2.5 : 0.8; ctx.strokeStyle = chosen ? "#000" : "#333";
    ctx.stroke();
  }
  ctx.fillStyle = "#333"; ctx.font = this.font(12); ctx.textAlign = "center";
  if (layer.moreAt) ctx.fillText(`+${layer.more} more`, layer.moreAt[0], layer.moreAt[1] + 4);
  if (layer.names) {
    const left = l === 0;
    ctx.textAlign = left ? "right" : "left"; ctx.font = this.font(11);
    layer.names.forEach((n, k) => ctx.fillText(n, layer.x + (left ? -1 : 1) * (layer.r + 4), layer.y[k] + 4));
  }
};

/* The x of column l's labels (an image input's: its grid's centre). */
WL.NetView.prototype.labelX = function (l) {
  const sc = this.scene;
  return l === 0 && sc.image ? sc.grid.x + sc.grid.s / 2 : sc.layers[l].x;
};

/* A label under column l at height y, as wide as the room to the next
   columns' labels allows (close conv columns, small canvases): too wide, it
   is first drawn smaller (down to 9 px), then its " · " parts are dropped
   from the end ("input 28×28 · 784 pixels" -> "input 28×28"; from the start
   with fromStart, so a count outlives "(12 shown)"), then smaller still.
   Returns [x0, x1, text] of what was drawn. */
WL.NetView.prototype.columnText = function (ctx, l, str, y, fromStart) {
  const sc = this.scene, x = this.labelX(l), sep = " \u00b7 ";
  const room = Math.min(...[l - 1, l + 1].filter(k => k >= 0 && k < sc.layers.length)
                          .map(k => Math.abs(this.labelX(k) - x)), 2 * x, 2 * (sc.width - x)) - 8;
  let label = str, size = 12;
  ctx.font = this.font(size);
  const width = () => ctx.measureText(label).width;
  if (width() > room) { size = Math.max(12 * room / width(), 9); ctx.font = this.font(size); }
  while (width() > room && label.includes(sep))
    label = fromStart ? label.slice(label.indexOf(sep) + sep.length) : label.slice(0, label.lastIndexOf(sep));
  if (width() > room) ctx.font = this.font(Math.max(size * room / width(), 7));
  const box = [...this.text(ctx, label, x, y), label];
  ctx.font = this.font(12);
  return box;
};

WL.NetView.prototype.drawLegends = function (ctx, kind) {
  const sc = this.scene, H = sc.height, ts = this.textScale;
  ctx.textAlign = "center"; ctx.fillStyle = "#222"; ctx.font = this.font(12);
  this.labelBoxes = [];
  sc.layers.forEach((layer, l) => {
    this.labelBoxes.push(this.columnText(ctx, l, layer.label, H - 6 - 20 * ts));
    const counted = this.run.marks && l > 0 && l < sc.layers.length - 1;   // drawn per snapshot
    if (layer.shown && !counted) this.columnText(ctx, l, layer.shown, H - 6 - 5 * ts);
  });
  // per gap: a small colour bar with its own scale
  this.run.layers.forEach((L, l) => {
    const a = sc.layers[l], b = sc.layers[l + 1];
    const x0 = l === 0 && sc.image ? sc.tiles[0].x - 10 : a.x, x = (x0 + b.x) / 2;
    const w = 64, y = 8;
    for (let k = 0; k < w; k++) {
      ctx.fillStyle = this.colors.hex[Math.round(k / (w - 1) * 255)];
      ctx.fillRect(x - w / 2 + k, y, 1, 7);
    }
    ctx.strokeStyle = "#999"; ctx.lineWidth = 0.5; ctx.strokeRect(x - w / 2, y, w, 7);
    ctx.fillStyle = "#222"; ctx.font = this.font(11);
    ctx.fillText("±" + WL.fmt(L.color[kind], 2), x, y + 8 + 11 * this.textScale);
  });
};

/* What is under design point (x, y): a unit, a receptive-field pixel or an
   edge (the one drawn on top), or null. */
WL.NetView.prototype.hit = function (x, y) {
  const sc = this.scene;
  for (let l = sc.layers.length - 1; l >= 0; l--) {
    const layer = sc.layers[l];
    if (layer.kind !== "units") continue;
    for (let k = 0; k < layer.units.length; k++) {
      if (Math.hypot(x - layer.x, y - layer.y[k]) <= layer.r + 1)
        return { run: this.run.id, layer: l, unit: layer.units[k], k: k };
    }
  }
  for (const ts of this.tileSets) {
    const tg = ts.tg, L = this.run.layers[tg.gap];
    for (let j = 0; j < tg.tiles.length; j++) {
      const t = tg.tiles[j];
      if (x >= t.x && x < t.x + t.s && y >= t.y && y < t.y + t.sh) {
        const px = Math.floor((x - t.x) / t.s * tg.w), py = Math.floor((y - t.y) / t.sh * tg.h);
        const r = ts.pixRow[py * tg.w + px];
        if (r < 0) return null;                 // the white line between two cells
        return { run: this.run.id, layer: tg.gap, i: L.rows[r], j: L.cols[j] };
      }
    }
  }
  for (let h = this.hits.length - 1; h >= 0; h--) {
    const [l, r, c, x1, y1, x2, y2, w] = this.hits[h];
    const dx = x2 - x1, dy = y2 - y1, t = Math.max(0, Math.min(1, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)));
    if (Math.hypot(x - x1 - t * dx, y - y1 - t * dy) <= w / 2 + 0.5) {
      const L = this.run.layers[l];
      return { run: this.run.id, layer: l, i: L.rows[r], j: L.cols[c] };
    }
  }
  return null;
};

/* Design point on edge W[l][i, j] at fraction t along it (the middle of the
   receptive-field pixel for image inputs), or null if not drawn. */
WL.NetView.prototype.where = function (l, i, j, t) {
  const L = this.run.layers[l]; if (!L) return null;
  const r = L.rowOf.get(i), c = L.colOf.get(j);
  if (r === undefined || c === undefined) return null;
  const sc = this.scene;
  if (this.tileGap.has(l) && (l > 0 || sc.conv)) {   // a conv tile: the entry's pixel
    const tg = sc.tileGaps.find(t => t.gap === l), tile = tg.tiles[c], p = tg.map.indexOf(r);
    if (p < 0) return null;
    const py = Math.floor(p / tg.w), px = p % tg.w;
    return [tile.x + (px + 0.5) * tile.s / tg.w, tile.y + (py + 0.5) * tile.sh / tg.h];
  }
  if (l === 0 && sc.image) {
    const g = sc.grid, tile = sc.tiles[c], py = Math.floor(i / g.w), px = i % g.w;
    return [tile.x + (px + 0.5) * tile.s / g.w, tile.y + (py + 0.5) * tile.sh / g.h];
  }
  const a = sc.layers[l], b = sc.layers[l + 1], f = t === undefined ? 0.5 : t;
  return [a.x + f * (b.x - a.x), a.y[r] + f * (b.y[c] - a.y[r])];
};
