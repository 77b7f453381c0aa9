/* Wiring: the slider (one timeline of epochs shared by every run), play,
   the colour switch, hover and click, and window.weightlapse for scripts. */
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("wl-data").textContent);
  WL.QUANTITIES = data.quantities.map(q => q.name);
  const colors = new WL.Colors(data.lut);
  const runs = data.runs.map((d, k) => new WL.Run(d, k));
  const times = data.timeline, count = times.length;
  const state = { t: 0, kind: data.color, playing: false, hover: null };
  const $ = id => document.getElementById(id);
  const multi = runs.length > 1;

  $("title").textContent = multi ? `weightlapse: ${runs.length} runs` : `weightlapse: ${runs[0].name}`;
  runs.forEach(r => {
    if (r.note) $("notes").appendChild(WL.el("div", { class: "note" }, (multi ? r.name + ": " : "") + r.note + (r.message ? " (" + r.message + ")" : "")));
  });
  (data.leftOut || []).forEach(([name, why]) => $("notes").appendChild(WL.el("div", { class: "note" }, `${name} is left out: ${why}`)));

  const views = runs.map(run => {
    const box = WL.el("div", { class: "net" });
    // several runs: two (or more, on a wide screen) side by side
    box.style.flex = multi ? "1 1 420px" : "1 1 900px";
    box.style.maxWidth = multi ? "720px" : "1100px";
    const h = WL.el("h3", {}, run.name + " ");
    if (multi) h.style.color = WL.RUN_COLORS[run.id % 10];     // as in the curves
    h.appendChild(WL.el("span", { class: "badge " + run.status }, run.status));
    box.appendChild(h);
    const canvas = WL.el("canvas", { class: "network", "data-run": run.id });
    box.appendChild(canvas);
    // the update-ratio strips under the network, and what the unit marks mean (marks.js)
    const strip = run.strip ? WL.el("canvas", { class: "strips", "data-run": run.id }) : null;
    if (strip) box.appendChild(strip);
    if (run.maps) box.appendChild(WL.el("p", { class: "hint" }, "Squares beside hidden units: " + run.maps.legend + "."));
    const said = [run.marks && run.marks.legend.charAt(0).toUpperCase() + run.marks.legend.slice(1),
                  run.strip && run.strip.legend.charAt(0).toUpperCase() + run.strip.legend.slice(1) +
                  "; the red line is the slider's step"].filter(Boolean);
    if (said.length) box.appendChild(WL.el("p", { class: "hint marks" }, said.join(". ") + "."));
    if (!multi) box.appendChild(WL.el("p", { class: "hint" }, caption(run)));
    $("nets").appendChild(box);
    const view = new WL.NetView(run, canvas, colors, multi ? 1.7 : 1);
    if (strip) view.strips = new WL.Strips(run, strip, multi ? 1.7 : 1);
    canvas.addEventListener("mousemove", ev => hover(view, ev));
    canvas.addEventListener("mouseleave", () => {
      $("tip").hidden = true; state.hover = null;
      if (view.preview !== undefined) { view.preview = undefined; view.draw(snapOf(view.run), state.kind); }
    });
    canvas.addEventListener("click", ev => click(view, ev));
    if (run.samples) WL.sampleStrip(box, view, k => { view.sample = k; render(); });
    return view;
  });
  function caption(run) {
    const why = run.scene.importance;
    return "Lines and tiles show the chosen quantity of the weights, unit fills that of the biases " +
      (run.samples ? "(or, with a held-out sample chosen below, each unit's activation on it and each output's class probability), " : "") +
      "each gap on its own scale (±, above it)" + (multi ? ", shared by the runs. " : ". ") +
      (why ? why.charAt(0).toUpperCase() + why.slice(1) + "." : "");
  }
  if (multi) $("nets").appendChild(WL.el("p", { class: "hint", style: "flex-basis: 100%" }, caption(runs[0])));
  const curves = new WL.Curves($("curves"), runs, e => setSnapshot(nearest(e)));
  const health = new WL.Health($("health"), runs);
  WL.details($("details"), runs);
  if (multi && data.table) {
    $("compare-box").hidden = false;
    WL.sortable($("table"), data.table);
    WL.effects($("effects"), data.effects || []);
  }

  function nearest(e) {
    let best = 0;
    times.forEach((x, k) => { if (Math.abs(x - e) < Math.abs(times[best] - e)) best = k; });
    return best;
  }
  function snapOf(run) { return run.snapAt(times[state.t]); }
  function design(view, ev) {
    const r = view.canvas.getBoundingClientRect();
    return [(ev.clientX - r.left) * view.scene.width / r.width, (ev.clientY - r.top) * view.scene.height / r.height];
  }
  function render() {
    const e = times[state.t];
    for (const v of views) {
      v.draw(snapOf(v.run), state.kind);
      if (v.strips) v.strips.draw(v.run.steps[snapOf(v.run)]);
    }
    curves.draw(e);
    health.draw(e);
    $("slider").value = state.t;
    const r0 = runs[0], s0 = snapOf(r0);
    $("where").textContent = `snapshot ${state.t + 1} of ${count} · epoch ${WL.fmt(e, 4)}` +
      (multi ? "" : ` · step ${r0.steps[s0]}`);
    if (state.hover) showTip(state.hover.view, state.hover.hit, state.hover.x, state.hover.y);
    drawSelection();
  }
  function setSnapshot(i) {
    i = Math.round(Number(i));
    if (!Number.isFinite(i)) throw new Error("setSnapshot needs a number");
    state.t = Math.max(0, Math.min(count - 1, i));
    render();
  }

  function describe(view, hit) {
    const run = view.run, s = snapOf(run), kind = state.kind;
    const lname = l => l === 0 ? "input" : l === run.sizes.length - 1 ? "output" :
      view.scene.conv ? view.scene.layers[l].label.split(" · ")[0] : `hidden ${l}`;
    if (hit.unit !== undefined) {
      if (hit.layer === 0) return { text: `input unit ${hit.unit}`, series: null };
      const L = run.layers[hit.layer - 1];
      const series = Array.from({ length: run.S }, (_, k) => L.bias(kind, k, hit.k));
      return { text: `${lname(hit.layer)} unit ${hit.unit}\nbias ${kind} = ${WL.fmt(series[s], 4)}${sampleText(view, hit, s)}\nat epoch ${WL.fmt(run.epochs[s], 4)}`, series, s };
    }
    const L = run.layers[hit.layer], r = L.rowOf.get(hit.i), c = L.colOf.get(hit.j);
    const series = Array.from({ length: run.S }, (_, k) => L.edge(kind, k, r, c));
    const tg = view.scene.conv && (view.scene.tileGaps || []).find(t => t.gap === hit.layer);
    if (tg) {   // a conv run's tile cell: which input channel, and where in its kernel or map
      const n = tg.block[0] * tg.block[1], ch = Math.floor(hit.i / n), p = hit.i % n;
      const what = hit.layer < view.scene.tileGaps.length - 1 ? "kernel" : "pooled map";
      const src = hit.layer === 0 ? "input" : `${lname(hit.layer)} channel ${ch}`;
      return { text: `${lname(hit.layer + 1)} unit ${hit.j}: ${what} of ${src}, row ${Math.floor(p / tg.block[1])}, col ${p % tg.block[1]}\n${kind} = ${WL.fmt(series[s], 4)}\nat epoch ${WL.fmt(run.epochs[s], 4)}`, series, s };
    }
    const from = hit.layer === 0 && view.scene.image && !view.scene.conv ? `pixel ${hit.i} (row ${Math.floor(hit.i / view.scene.grid.w)}, col ${hit.i % view.scene.grid.w})` : `${lname(hit.layer)} ${hit.i}`;
    return { text: `W[${hit.layer}][${hit.i}, ${hit.j}]: ${from} → ${lname(hit.layer + 1)} ${hit.j}\n${kind} = ${WL.fmt(series[s], 4)}\nat epoch ${WL.fmt(run.epochs[s], 4)}`, series, s };
  }
  /* beside the bias: the unit's activation on the chosen sample (an output's probability) */
  function sampleText(view, hit, s) {
    const S = view.run.samples, j = view.sample;
    if (!S || j === null || j === undefined) return "";
    const v = S.act(hit.layer, s, j, hit.k), out = hit.layer === view.run.sizes.length - 1;
    if (out && !S.probability) return "";
    return out ? ` · probability ${(v * 100).toFixed(1)}%` : ` · activation ${WL.fmt(v, 3)}`;
  }
  function showTip(view, hit, x, y) {
    const d = describe(view, hit), tip = $("tip");
    $("tip-text").textContent = d.text;
    $("spark").hidden = !d.series;
    if (d.series) WL.sparkline($("spark"), d.series, d.s);
    tip.hidden = false;
    tip.style.left = Math.min(x + 14, window.innerWidth - 230) + "px";
    tip.style.top = Math.min(y + 14, window.innerHeight - 110) + "px";
  }
  function hover(view, ev) {
    const [x, y] = design(view, ev), hit = view.hit(x, y);
    // hovering a first-layer unit or its tile shows its receptive field in the input grid
    const k = hit && view.scene.image && !view.scene.conv && hit.layer <= 1 && (hit.unit === undefined || hit.layer === 1)
      ? (hit.unit === undefined ? view.run.layers[0].colOf.get(hit.j) : hit.k) : undefined;
    if (k !== view.preview) { view.preview = k; view.draw(snapOf(view.run), state.kind); }
    if (!hit) { $("tip").hidden = true; state.hover = null; return; }
    state.hover = { view, hit, x: ev.clientX, y: ev.clientY };
    showTip(view, hit, ev.clientX, ev.clientY);
  }
  function click(view, ev) {
    const [x, y] = design(view, ev), hit = view.hit(x, y);
    const hidden = hit && hit.unit !== undefined && hit.layer > 0 && hit.layer < view.run.sizes.length - 1;
    select(view, hidden ? hit : null);
  }
  function select(view, hit) {
    views.forEach(v => { v.selected = null; });
    if (hit) view.selected = { layer: hit.layer, k: hit.k, unit: hit.unit };
    const box = $("selection"); box.textContent = "";
    if (!hit) {
      box.appendChild(WL.el("p", { class: "hint" }, "Hover an edge or a unit to see its value and history; click a hidden unit to highlight its weights."));
    } else {
      const name = view.scene.conv ? view.scene.layers[hit.layer].label.split(" · ")[0] : `hidden ${hit.layer}`;
      box.appendChild(WL.el("h3", {}, `${view.run.name}: ${name} unit ${hit.unit}`));
      box.appendChild(WL.el("p", { class: "hint" }, "Its incoming and outgoing weights are highlighted; click elsewhere to clear."));
      if (hit.layer === 1 && view.scene.image && !view.scene.conv) {
        box.appendChild(WL.el("p", {}, `Receptive field (${state.kind}), the weights from each input pixel:`));
        const g = view.scene.grid, c = WL.el("canvas", { width: g.w, height: g.h, id: "rf-large" });
        c.style.width = "224px"; c.style.height = 224 * g.h / g.w + "px";
        box.appendChild(c);
      }
    }
    render();
  }
  function drawSelection() {
    const c = $("rf-large"), v = views.find(v => v.selected);
    if (!c || !v) return;
    const L = v.run.layers[0], g = v.scene.grid, ctx = c.getContext("2d"), img = ctx.createImageData(g.w, g.h);
    const s = snapOf(v.run), scale = L.color[state.kind];
    for (let p = 0; p < g.w * g.h; p++) {
      const k = colors.index(L.edge(state.kind, s, L.rowOf.get(p), v.selected.k), scale);
      const rgb = k < 0 ? [158, 158, 158] : colors.rgb[k];
      img.data.set([rgb[0], rgb[1], rgb[2], 255], p * 4);
    }
    ctx.putImageData(img, 0, 0);
  }

  // controls
  const slider = $("slider");
  slider.max = count - 1;
  slider.addEventListener("input", () => setSnapshot(slider.value));
  // the colour switch: one button per quantity the page data lists (viz.quantities)
  data.quantities.forEach(q => {
    const label = WL.el("label", { title: q.legend });
    label.appendChild(WL.el("input", { type: "radio", name: "kind", value: q.name }));
    label.appendChild(document.createTextNode(q.label));
    $("kinds").appendChild(label);
  });
  document.querySelectorAll("input[name=kind]").forEach(r => {
    r.checked = r.value === state.kind;
    r.addEventListener("change", () => { state.kind = r.value; render(); });
  });
  let timer = null;
  const frameMs = Math.max(40, Math.min(250, 12000 / count));
  function play(on) {
    state.playing = on;
    $("play").innerHTML = on ? "&#10073;&#10073; pause" : "&#9654; play";
    if (timer) { clearInterval(timer); timer = null; }
    if (!on) return;
    if (state.t >= count - 1) setSnapshot(0);
    timer = setInterval(() => {
      if (state.t >= count - 1) { play(false); return; }
      setSnapshot(state.t + 1);
    }, frameMs);
  }
  $("play").addEventListener("click", () => play(!state.playing));
  document.addEventListener("keydown", ev => {
    if (ev.target.tagName === "INPUT" && ev.target.type !== "radio" && ev.target.type !== "range") return;
    if (ev.key === " ") { ev.preventDefault(); play(!state.playing); }
    else if (ev.key === "ArrowRight" && ev.target !== slider) setSnapshot(state.t + 1);
    else if (ev.key === "ArrowLeft" && ev.target !== slider) setSnapshot(state.t - 1);
  });

  function toClient(view, p) {
    if (!p) return null;
    const r = view.canvas.getBoundingClientRect();
    return { x: r.left + p[0] * r.width / view.scene.width, y: r.top + p[1] * r.height / view.scene.height };
  }
  window.weightlapse = {
    setSnapshot,
    get snapshot() { return state.t; },
    get count() { return count; },
    get epoch() { return times[state.t]; },
    get color() { return state.kind; },
    setColor(kind) {
      if (!WL.QUANTITIES.includes(kind)) throw new Error("unknown colour " + kind);
      state.kind = kind;
      document.querySelectorAll("input[name=kind]").forEach(r => { r.checked = r.value === kind; });
      render();
    },
    /* decoded W[layer][i, j] of run `run` at the current snapshot; null if not held */
    value(kind, layer, i, j, run) { const R = runs[run || 0]; return R ? R.value(kind, layer, i, j, snapOf(R)) : null; },
    bias(kind, layer, j, run) {
      const R = runs[run || 0], L = R && R.layers[layer], c = L && L.colOf.get(j);
      if (c === undefined) return null;
      const v = L.bias(kind, snapOf(R), c); return Number.isFinite(v) ? v : null;
    },
    scale(kind, layer, run) { const L = runs[run || 0].layers[layer]; return L ? L.color[kind] : null; },
    runSnapshot(run) { return snapOf(runs[run || 0]); },
    /* the held-out strip: choose position k (null: none); the chosen one; a shown unit's activation on it */
    setSample(k, run) { views[run || 0].sample = k; render(); },
    sample(run) { return views[run || 0].sample; },
    _samples(run) { return runs[run || 0].samples; },
    sampleRows(run) { const S = runs[run || 0].samples; return S ? S.rows : null; },
    activation(layer, unit, run) {
      const v = views[run || 0], S = v.run.samples, L = v.scene.layers[layer];
      const k = L ? L.units.indexOf(unit) : -1;
      if (!S || v.sample === null || v.sample === undefined || k < 0 || layer < 1) return null;
      return S.act(layer, snapOf(v.run), v.sample, k);
    },
    /* what is drawn at client point (x, y): {run, layer, i, j} for an edge, {run, layer, unit} for a unit */
    edgeAt(x, y) {
      for (const v of views) {
        const r = v.canvas.getBoundingClientRect();
        if (x < r.left || x >= r.right || y < r.top || y >= r.bottom) continue;
        const h = v.hit((x - r.left) * v.scene.width / r.width, (y - r.top) * v.scene.height / r.height);
        if (h) delete h.k;
        return h;
      }
      return null;
    },
    locate(layer, i, j, run, t) { const v = views[run || 0]; return toClient(v, v.where(layer, i, j, t)); },
    locateUnit(layer, unit, run) {
      const v = views[run || 0], L = v.scene.layers[layer], k = L ? L.units.indexOf(unit) : -1;
      return k < 0 || L.kind !== "units" ? null : toClient(v, [L.x, L.y[k]]);
    },
    cursorPx() { return curves.cursorPx(); },
    /* the update-ratio strips' cursors (design px, one per W[i]), null without strips */
    labelBoxes(run) { return views[run || 0].labelBoxes; },   // [x0, x1, text] of the layer labels
    countBoxes(run) { return views[run || 0].countBoxes || null; },   // and of their count lines
    /* client point of the centre of cell (r, c) of conv column l's map of its o-th shown channel */
    fmapCell(l, o, r, c, run) {
      const v = views[run || 0], m = v.run.fmaps, L = m && m.layers.find(x => x.layer === l);
      if (!L) return null;
      const [x, y, w, h] = L.boxes[o];
      return toClient(v, [x + (c + 0.5) * w / L.g, y + (r + 0.5) * h / L.g]);
    },
    stripCursors(run) { const v = views[run || 0]; return v.strips ? v.strips.cursors.slice() : null; },
    /* a shown unit's mark at the current snapshot ("dead", "saturated" or null), and a
       hidden layer's count over all its units (null without marks) */
    unitMark(layer, unit, run) {
      const v = views[run || 0], k = v.scene.layers[layer].units.indexOf(unit);
      const f = k < 0 ? null : v.markFlags(layer, snapOf(v.run));
      return !f ? null : f[k] & 1 ? "dead" : f[k] & 2 ? "saturated" : null;
    },
    markCount(layer, run) {
      const R = runs[run || 0], L = R.marks && R.marks.layers.find(x => x.layer === layer);
      return L ? L.counts[snapOf(R)] : null;
    },
    /* a diagnose panel (layer, key as in WL.HEALTH_PANELS): cursor x, shown probe records, or why empty */
    healthPanel(layer, key) { return health.state(layer, key); },
    curves() {   // the curves' layout: canvas size, axes and legend rows (with widths)
      const ctx = curves.ctx; ctx.font = "12px sans-serif";
      return { W: curves.W, H: curves.H, plots: curves.plots.map(p => ({ key: p.key, lo: p.lo, hi: p.hi })),
               legend: curves.legend.map(row => row.map(([text, x, col]) => ({
                 text, x, right: x + (col ? 18 : 0) + ctx.measureText(text).width }))) };
    },
    select(layer, unit, run) {
      const v = views[run || 0], k = v.scene.layers[layer].units.indexOf(unit);
      select(v, k < 0 ? null : { layer, unit, k });
    },
  };
  render();
  document.body.dataset.ready = "1";
})();
