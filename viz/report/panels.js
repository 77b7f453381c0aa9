/* Everything around the network: the runs' settings and status, their
   final-weight figures, the sortable comparison table, the effect of each
   differing setting, the hover tooltip with its sparkline, and the panel
   of a clicked unit. */
"use strict";

WL.el = function (tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
};

WL.details = function (box, runs) {
  runs.forEach((run, n) => {
    const div = WL.el("div", { class: "run-detail" });
    const left = WL.el("div");
    const h = WL.el("h3", {}, run.name + " ");
    h.style.color = WL.RUN_COLORS[n % 10];
    h.appendChild(WL.el("span", { class: "badge " + run.status }, run.status));
    left.appendChild(h);
    const f = run.final;
    const acc = f.test_acc ?? null;
    const lines = [["test accuracy", acc === null ? "— (no test set)" : (100 * acc).toFixed(2) + " %"],
                   ["final val accuracy", f.val_acc == null ? "—" : (100 * f.val_acc).toFixed(2) + " %"],
                   ["final train loss", WL.fmt(f.train_loss)],
                   ["snapshots", `${run.S} shown of ${run.recorded} recorded`],
                   ["network", run.sizes.join("–")]];
    if (run.message) lines.push(["message", run.message]);
    for (const [k, v] of Object.entries(run.settings)) {
      lines.push([k, Array.isArray(v) ? v.join(",") || "none" : v === null ? "—" : String(v)]);
    }
    const table = rows => {
      const t = WL.el("table", { class: "wl" });
      for (const [k, v] of rows) {
        const tr = WL.el("tr"); tr.appendChild(WL.el("th", {}, k)); tr.appendChild(WL.el("td", {}, String(v)));
        t.appendChild(tr);
      }
      return t;
    };
    const head = runs.length > 1 ? 5 : lines.length;     // several runs: settings folded
    left.appendChild(table(lines.slice(0, head)));
    if (head < lines.length) {
      const more = WL.el("details"), sum = WL.el("summary", {}, "all settings");
      more.appendChild(sum); more.appendChild(table(lines.slice(head))); left.appendChild(more);
    }
    div.appendChild(left);
    if (run.figure) {
      const fig = WL.el("figure");
      const img = WL.el("img", { src: run.figure, alt: "final weights of " + run.name });
      fig.appendChild(img); fig.appendChild(WL.el("figcaption", { class: "hint" }, "Final weights (the static figure)"));
      div.appendChild(fig);
    }
    box.appendChild(div);
  });
};

/* A table whose columns sort on click (again: the other way). */
WL.sortable = function (box, table) {
  let key = -1, dir = 1;
  const render = () => {
    box.textContent = "";
    const t = WL.el("table", { class: "wl", id: "cmp-table" }), head = WL.el("tr");
    table.columns.forEach((c, k) => {
      const th = WL.el("th", { "data-col": k }, c + (k === key ? (dir > 0 ? " ▲" : " ▼") : ""));
      th.addEventListener("click", () => { dir = key === k ? -dir : 1; key = k; render(); });
      head.appendChild(th);
    });
    t.appendChild(head);
    const rows = table.rows.slice();
    if (key >= 0) rows.sort((a, b) => {
      const x = a[key], y = b[key];
      if (x === null) return 1; if (y === null) return -1;
      return (typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true })) * dir;
    });
    for (const r of rows) {
      const tr = WL.el("tr");
      r.forEach(v => tr.appendChild(WL.el("td", typeof v === "number" ? { class: "num" } : {},
        typeof v === "number" ? WL.fmt(v) : v === null ? "—" : String(v))));
      t.appendChild(tr);
    }
    box.appendChild(t);
  };
  render();
};

/* One small dot plot per differing setting: its values across, final accuracy up. */
WL.effects = function (box, effects) {
  if (!effects.length) {
    box.appendChild(WL.el("p", { class: "hint" }, "The runs' settings are the same (apart from their names)."));
    return;
  }
  const NS = "http://www.w3.org/2000/svg";
  const mk = (tag, attrs, text) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  for (const ef of effects) {
    const vals = [...new Set(ef.points.map(p => p.value))]
      .sort((a, b) => String(a).localeCompare(String(b), undefined, { numeric: true }));
    const accs = ef.points.map(p => p.acc).filter(a => a !== null);
    const lo = Math.max(0, Math.min(...accs, 1) - 0.02), hi = Math.min(1, Math.max(...accs, 0) + 0.02);
    const W = Math.max(220, 70 * vals.length + 80), H = 200, x0 = 54, y0 = 20, h = 130;
    const svg = mk("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, class: "effect" });
    const yOf = a => y0 + h - (a - lo) / ((hi - lo) || 1) * h;
    const xOf = k => x0 + (k + 0.5) * (W - x0 - 10) / vals.length;
    svg.appendChild(mk("rect", { x: x0, y: y0, width: W - x0 - 10, height: h, fill: "none", stroke: "#999" }));
    for (let k = 0; k <= 2; k++) {
      const a = lo + (hi - lo) * k / 2;
      svg.appendChild(mk("text", { x: x0 - 4, y: yOf(a) + 4, "text-anchor": "end", "font-size": 11 }, (100 * a).toFixed(1) + "%"));
    }
    vals.forEach((v, k) => {
      svg.appendChild(mk("text", { x: xOf(k), y: y0 + h + 16, "text-anchor": "middle", "font-size": 11 }, v));
      const pts = ef.points.filter(p => p.value === v && p.acc !== null);
      pts.forEach(p => {
        const c = mk("circle", { cx: xOf(k), cy: yOf(p.acc), r: 4, fill: "#1f77b4", "fill-opacity": 0.7 });
        c.appendChild(mk("title", {}, `${p.run}: ${(100 * p.acc).toFixed(2)}%`));
        svg.appendChild(c);
      });
      if (pts.length) {
        const mean = pts.reduce((s, p) => s + p.acc, 0) / pts.length;
        svg.appendChild(mk("line", { x1: xOf(k) - 14, x2: xOf(k) + 14, y1: yOf(mean), y2: yOf(mean), stroke: "#d62728", "stroke-width": 2 }));
      }
    });
    svg.appendChild(mk("text", { x: (x0 + W) / 2, y: H - 8, "text-anchor": "middle", "font-size": 12, "font-weight": "bold" }, ef.setting));
    svg.appendChild(mk("text", { x: 12, y: y0 + h / 2, "font-size": 11, transform: `rotate(-90 12 ${y0 + h / 2})`, "text-anchor": "middle" }, ef.metric || "accuracy"));
    box.appendChild(svg);
  }
};

/* A value's history over the kept snapshots, with a dot at the current one. */
WL.sparkline = function (canvas, series, s) {
  const ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height;
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, H);
  const fin = series.filter(Number.isFinite);
  if (!fin.length) return;
  let lo = Math.min(...fin, 0), hi = Math.max(...fin, 0);
  if (hi === lo) hi = lo + 1;
  const x = k => 3 + k / Math.max(series.length - 1, 1) * (W - 6), y = v => H - 3 - (v - lo) / (hi - lo) * (H - 6);
  ctx.strokeStyle = "#ccc"; ctx.beginPath(); ctx.moveTo(0, y(0)); ctx.lineTo(W, y(0)); ctx.stroke();
  ctx.strokeStyle = "#1f4e9a"; ctx.lineWidth = 1.3; ctx.beginPath();
  series.forEach((v, k) => { if (Number.isFinite(v)) ctx[k ? "lineTo" : "moveTo"](x(k), y(v)); });
  ctx.stroke();
  if (Number.isFinite(series[s])) {
    ctx.fillStyle = "#d00000"; ctx.beginPath(); ctx.arc(x(s), y(series[s]), 3, 0, 2 * Math.PI); ctx.fill();
  }
};
