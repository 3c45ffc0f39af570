/* nqpf dashboard: fills the page shells from the local API. No external requests. */
"use strict";
(function () {
  const body = document.body;
  const LANG = body.dataset.lang === "zh" ? "zh" : "en";
  const ZH = LANG === "zh";
  const FWS = (body.dataset.frameworks || "").split(",").filter(Boolean);
  const T = {
    framework: ["Framework", "指标体系"], node: ["Dimension", "维度"], year: ["Year", "年份"],
    rank: ["Rank", "排名"], province: ["Province", "省份"], score: ["Score", "得分"],
    change: ["Rank change", "排名变化"], group: ["Region", "区域"], interval: ["Rank 5–95%", "排名5–95%区间"],
    index: ["Index", "总指数"], csv: ["Download CSV", "下载 CSV"], xlsx: ["Download XLSX", "下载 XLSX"],
    national: ["National mean", "全国均值"], strengths: ["Strengths", "优势指标"], weaknesses: ["Weaknesses", "劣势指标"],
    peers: ["Closest profiles", "结构相近省份"], distance: ["Distance", "距离"], trend: ["Trend", "趋势"],
    radar: ["Dimensions", "维度得分"], indicator: ["Indicator", "指标"], compare: ["Compare", "对比"],
    cv: ["Coefficient of variation across provinces", "省际变异系数"], groups: ["NBS four-region means", "四大区域均值"],
    level: ["Level (latest score)", "水平(最新得分)"], momentum: ["Momentum (change since first year)", "动能(首年以来变化)"],
    qualify: ["Qualify", "认定"], verdict: ["Verdict", "结论"], reasons: ["Reasons", "理由"],
    qmodel: ["Model", "认定模型"], confidence: ["Confidence", "置信度"], phrases: ["Evidence phrases", "证据短语"],
    mHybrid: ["hybrid: rules unless the text model is confident (default)", "混合：以规则为主，模型有把握时改判（默认）"],
    mRules: ["rules only", "仅规则"], mFitted: ["fitted text model only", "仅拟合文本模型"],
    sectors: ["Sectors", "产业领域"], variable: ["Variable", "变量"], unit: ["Unit", "单位"], source: ["Source", "来源"],
    coverage: ["Coverage", "覆盖"], notes: ["Notes", "说明"], spec: ["Method spec", "方法设定"],
    weights: ["Weights", "权重"], indicators: ["Indicators", "指标"], formula: ["Formula", "公式"],
    direction: ["Direction", "方向"], rationale: ["Rationale", "依据"], none: ["not computed for this run", "本次运行未计算"],
    noUnc: ["No rank-uncertainty analysis in this run: intervals are not shown.", "本次运行无排名不确定性分析，不显示区间。"],
    region: ["Province", "省份"], loading: ["Loading…", "加载中…"], error: ["Error", "错误"],
    textPh: ["Describe a firm, project or product (Chinese or English)…", "输入企业、项目或产品描述（中文或英文）…"],
    leader: ["leader", "领先"], rising: ["rising", "追赶"], slowing: ["slowing", "放缓"], lagging: ["lagging", "滞后"],
    quadrant: ["Quadrant", "象限"], analyses: ["Analyses", "分析"], rows: ["rows", "行"],
    years: ["Years", "年份"], provinces: ["Provinces", "省份数"], dims: ["Dimensions", "维度"],
    mapTitle: ["Score by province", "各省得分"], firstYear: ["Change since first year", "首年以来变化"],
    scRegions: ["Provinces", "省份"], scIndicators: ["Indicators", "指标"], scKind: ["Change", "变动方式"],
    scSet: ["Set to a value (indicator's unit)", "设为某值（指标单位）"], scRel: ["Change by % (relative)", "按百分比变动"],
    scPeer: ["Reach the peer leader", "达到同类省份最优"], scValue: ["Value", "数值"], scFrom: ["From", "起始年"], scTo: ["To", "截止年"],
    scRun: ["Run scenario", "运行情景"], scNew: ["New score and rank vs old", "新旧得分与排名"], scMoved: ["Who moved", "排名变动的省份"],
    scApplied: ["Changes applied", "已应用的变动"], scImplied: ["Implied change of high-quality development", "对高质量发展的隐含影响"],
    before: ["Before", "原值"], after: ["After", "新值"], oldScore: ["Old score", "原得分"], newScore: ["New score", "新得分"],
    oldRank: ["Old rank", "原排名"], newRank: ["New rank", "新排名"], implied: ["Implied change", "隐含变化"],
    interval: ["Interval", "区间"], nobody: ["No province's rank changed.", "没有省份排名变化。"],
    emptyTitle: ["No run yet", "尚无运行结果"], whatIf: ["What if? (scenario)", "情景模拟"], scHint: ["Hold Ctrl (or ⌘) to choose several.", "按住 Ctrl（或 ⌘）可多选。"],
  };
  const t = (k) => (T[k] ? T[k][ZH ? 1 : 0] : k);
  const q = new URLSearchParams(location.search);
  const $ = (sel) => document.querySelector(sel);
  const content = $("#content");
  const controls = $("#controls");
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const fmt = (v, d = 3) => (v == null || Number.isNaN(v) ? "–" : Number(v).toFixed(d));
  const nm = (o, base) => (ZH ? o[(base || "name") + "_zh"] || o[(base || "name") + "_en"] : o[(base || "name") + "_en"]);
  const rn = (o) => (ZH ? o.region_zh : o.region_en);

  async function api(path, opts) {
    const r = await fetch(path, opts);
    const j = await r.json().catch(() => ({ detail: r.statusText }));
    if (!r.ok) throw new Error(j.detail || r.statusText);
    return j;
  }
  function fail(e) { content.insertAdjacentHTML("beforeend", `<p class="down">${t("error")}: ${esc(e.message || e)}</p>`); }
  function setQuery(k, v) { q.set(k, v); history.replaceState(null, "", `${location.pathname}?${q.toString()}`); syncLang(); }
  function syncLang() {
    const a = $("#lang-switch"); const p = new URLSearchParams(q); p.set("lang", ZH ? "en" : "zh");
    a.href = `${location.pathname}?${p.toString()}`;
    document.querySelectorAll("nav a").forEach((n) => {
      const u = new URL(n.href, location.origin); ["framework", "node", "year", "region"].forEach((k) => { if (q.get(k)) u.searchParams.set(k, q.get(k)); });
      n.href = u.pathname + u.search;
    });
  }
  function select(id, label, options, value, onchange) {
    const opts = options.map(([v, l]) => `<option value="${esc(v)}"${String(v) === String(value) ? " selected" : ""}>${esc(l)}</option>`).join("");
    controls.insertAdjacentHTML("beforeend", `<label>${esc(label)} <select id="${id}">${opts}</select></label>`);
    $("#" + id).addEventListener("change", (e) => onchange(e.target.value));
  }
  function downloads(path, params) {
    const p = new URLSearchParams(params);
    p.set("limit", "20000");
    const c = new URLSearchParams(p); c.set("format", "csv");
    const x = new URLSearchParams(p); x.set("format", "xlsx");
    return `<div class="downloads"><a class="dl-csv" href="${path}?${c}" download>${t("csv")}</a><a class="dl-xlsx" href="${path}?${x}" download>${t("xlsx")}</a></div>`;
  }
  function table(cols, rows, id) {
    const head = cols.map((c) => `<th class="${c.num ? "num" : ""}">${esc(c.label)}</th>`).join("");
    const body = rows.map((r) => `<tr>${cols.map((c) => `<td class="${c.cls || (c.num ? "num" : "")}">${c.html ? c.html(r) : esc(c.get ? c.get(r) : r[c.key])}</td>`).join("")}</tr>`).join("");
    return `<div class="scroll"><table id="${id || ""}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
  }
  const PCONF = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["sendDataToCloud"], topojsonURL: "/static/topojson/" };
  function plot(id, traces, layout) {
    const el = document.getElementById(id);
    const base = { margin: { l: 40, r: 10, t: 30, b: 40 }, font: { family: getComputedStyle(body).fontFamily }, paper_bgcolor: "#fff", plot_bgcolor: "#fff" };
    return Plotly.react(el, traces, Object.assign(base, layout || {}), PCONF);
  }

  class EmptyRuns extends Error { constructor() { super(ZH ? "没有运行结果：请先运行 nqpf run" : "no runs found: run `nqpf run` first"); } }
  function emptyState() {
    content.innerHTML = `<div class="card" id="empty-state"><h2>${t("emptyTitle")}</h2><p>${ZH
      ? "此服务尚无指数运行结果。请在终端运行以下命令构建（导入数据并构建三个指数，约20秒），然后重新启动服务："
      : "This server has no index run yet. Build one in a terminal (imports the data and builds the three indices, about 20 s), then restart the server:"}</p>
      <pre>nqpf run --out nqpf-output\nnqpf serve --run-dir nqpf-output</pre><p class="note">${ZH
      ? "或直接运行 nqpf serve（不加 --no-build），它会先自动构建。" : "Or run nqpf serve without --no-build: it builds first."}</p></div>`;
  }
  let fwInfo = {};
  async function framework() {
    const fw = FWS.includes(q.get("framework")) ? q.get("framework") : FWS[0];
    if (!fw) throw new EmptyRuns();
    if (!fwInfo[fw]) fwInfo[fw] = await api(`/api/v1/frameworks/${fw}`);
    return fwInfo[fw];
  }
  function nodeLabel(info, id) {
    const n = info.tree.find((x) => x.node === id);
    return n ? (ZH ? n.name_zh || n.name_en : n.name_en) : id;
  }
  function fwSelect(info, reload) {
    select("fw", t("framework"), FWS.map((f) => [f, f]), info.framework, (v) => { setQuery("framework", v); q.delete("node"); reload(); });
  }

  // -- map and ranking -----------------------------------------------------------------------
  const SMALL = { "110000": [112.2, 43.2], "120000": [123.0, 40.6], "310000": [124.0, 33.6] };
  let GEO = null;
  async function pageMap() {
    const info = await framework();
    GEO = GEO || await api("/api/v1/geo");
    const years = info.years;
    let node = (q.get("node") && info.tree.some((n) => n.node === q.get("node"))) ? q.get("node") : info.root;
    let year = years.includes(Number(q.get("year"))) ? Number(q.get("year")) : years[years.length - 1];
    controls.innerHTML = "";
    fwSelect(info, pageMap);
    select("node", t("node"), [info.root, ...info.dimensions].map((n) => [n, nodeLabel(info, n)]), node, (v) => { node = v; setQuery("node", v); draw(); });
    controls.insertAdjacentHTML("beforeend", `<label>${t("year")} <input id="year" type="range" min="${years[0]}" max="${years[years.length - 1]}" step="1" value="${year}"><output id="year-out">${year}</output></label>`);
    content.innerHTML = `<div class="card"><div id="map" class="chart"></div><p class="note">${ZH ? "南海诸岛以附图显示；北京、天津、上海以标注显示。" : "South China Sea islands in the inset; Beijing, Tianjin and Shanghai labelled."}</p></div>
      <div class="card"><h2 id="rank-title"></h2><div id="dl"></div><p id="unc-note" class="note"></p><div id="ranking"></div></div>`;
    let timer = null;
    $("#year").addEventListener("input", (e) => { $("#year-out").textContent = e.target.value; clearTimeout(timer); timer = setTimeout(() => { year = Number(e.target.value); setQuery("year", year); draw(); }, 120); });
    async function draw() {
      const fw = info.framework;
      const r = await api(`/api/v1/frameworks/${fw}/ranks?node=${encodeURIComponent(node)}&year=${year}&limit=100`);
      drawMap(r.items, `${nodeLabel(info, node)} · ${year}`);
      $("#rank-title").textContent = `${t("rank")} · ${nodeLabel(info, node)} · ${year}`;
      $("#dl").innerHTML = downloads(`/api/v1/frameworks/${fw}/ranks`, { node, year });
      $("#unc-note").textContent = r.meta.uncertainty ? "" : t("noUnc");
      const n = r.items.length;
      const maxS = Math.max(...r.items.map((x) => x.score || 0), 1e-9);
      const cols = [
        { label: t("rank"), key: "rank", num: true },
        { label: t("province"), cls: "name", html: (x) => `<a href="/profile?lang=${LANG}&framework=${fw}&region=${x.region_code}">${esc(rn(x))}</a>` },
        { label: t("score"), num: true, html: (x) => `${fmt(x.score)}<div class="bar"><i style="left:0;width:${(100 * (x.score || 0) / maxS).toFixed(1)}%"></i></div>` },
        { label: t("interval"), html: (x) => x.rank_p05 == null ? "–" : `<div class="bar" title="${x.rank_p05}–${x.rank_p95}"><i style="left:${(100 * (x.rank_p05 - 1) / n).toFixed(1)}%;width:${(100 * Math.max(x.rank_p95 - x.rank_p05, 0.3) / n).toFixed(1)}%"></i><b style="left:${(100 * (x.rank_median - 1) / n).toFixed(1)}%"></b></div>` },
      ];
      $("#ranking").innerHTML = table(cols, r.items, "ranking-table");
    }
    await draw();
  }
  function drawMap(items, title) {
    const vals = {}; items.forEach((x) => { vals[x.region_code] = x; });
    const feats = GEO.provinces.features.filter((f) => vals[f.id] && vals[f.id].score != null);
    const loc = feats.map((f) => f.id);
    const z = loc.map((c) => vals[c].score);
    const txt = loc.map((c) => `${rn(vals[c])} #${vals[c].rank}`);
    const zmin = Math.min(...z), zmax = Math.max(...z);
    const chor = (geo, show) => ({ type: "choropleth", geojson: GEO.provinces, featureidkey: "id", locations: loc, z, text: txt, zmin, zmax,
      hovertemplate: "%{text}<br>%{z:.3f}<extra></extra>", colorscale: "Viridis", marker: { line: { color: "#fff", width: 0.5 } }, showscale: show, geo,
      colorbar: { title: { text: t("score") }, len: 0.6, thickness: 12 } });
    const other = (geo) => ({ type: "choropleth", geojson: GEO.other, featureidkey: "id", locations: GEO.other.features.map((f) => f.id),
      z: GEO.other.features.map(() => 0), colorscale: [[0, "#d9d9d9"], [1, "#d9d9d9"]], showscale: false, geo, hoverinfo: "skip", marker: { line: { color: "#fff", width: 0.5 } } });
    const lines = (geo) => ({ type: "scattergeo", lon: GEO.lines.lon, lat: GEO.lines.lat, mode: "lines", line: { color: "#888", width: 1 }, hoverinfo: "skip", showlegend: false, geo });
    const cl = { lon: [], lat: [] }; const lab = { lon: [], lat: [], text: [] };
    Object.entries(SMALL).forEach(([c, pos]) => {
      const p = GEO.label_points[c]; if (!p || !vals[c]) return;
      cl.lon.push(p[0], pos[0], null); cl.lat.push(p[1], pos[1], null);
      lab.lon.push(pos[0]); lab.lat.push(pos[1]); lab.text.push(`${rn(vals[c])} ${fmt(vals[c].score)} (#${vals[c].rank})`);
    });
    const traces = [chor("geo", true), other("geo"), lines("geo"),
      { type: "scattergeo", lon: cl.lon, lat: cl.lat, mode: "lines", line: { color: "#333", width: 1 }, hoverinfo: "skip", showlegend: false, geo: "geo" },
      { type: "scattergeo", lon: lab.lon, lat: lab.lat, text: lab.text, mode: "text", textfont: { size: 11, color: "#111" }, textposition: "middle right", hoverinfo: "skip", showlegend: false, geo: "geo", name: "callouts" },
      chor("geo2", false), other("geo2"), lines("geo2")];
    // every base layer off: plotly.js then never fetches its world topojson (from a CDN)
    const g = { projection: { type: "mercator" }, showland: false, showocean: false, showlakes: false, showrivers: false,
      showcountries: false, showsubunits: false, showcoastlines: false, showframe: false, bgcolor: "rgba(0,0,0,0)" };
    plot("map", traces, {
      title: { text: title, font: { size: 14 } }, height: window.innerWidth < 700 ? 380 : 540, margin: { l: 0, r: 0, t: 36, b: 0 }, showlegend: false,
      geo: Object.assign({}, g, { domain: { x: [0, 1], y: [0, 1] }, lonaxis: { range: [73, 136] }, lataxis: { range: [17.5, 54.5] } }),
      geo2: Object.assign({}, g, { domain: { x: [0.8, 1], y: [0, 0.3] }, lonaxis: { range: [106, 124] }, lataxis: { range: [2.5, 24.5] }, bgcolor: "#fff", showframe: true, framecolor: "#999" }),
      annotations: [{ text: ZH ? "南海诸岛" : "South China Sea", x: 0.9, y: 0.31, xref: "paper", yref: "paper", showarrow: false, font: { size: 10 } }],
    });
  }

  // -- profile ------------------------------------------------------------------------------
  let REGIONS = null;
  async function regions() { REGIONS = REGIONS || (await api("/api/v1/regions?limit=100")).items; return REGIONS; }
  async function pageProfile() {
    const info = await framework();
    const regs = await regions();
    const region = q.get("region") || "440000";
    controls.innerHTML = "";
    fwSelect(info, pageProfile);
    select("region", t("region"), regs.map((r) => [r.region_code, nm(r)]), region, (v) => { setQuery("region", v); pageProfile(); });
    const p = await api(`/api/v1/frameworks/${info.framework}/profiles/${encodeURIComponent(region)}`);
    const pdl = (tb) => downloads(`/api/v1/frameworks/${info.framework}/profiles/${p.region_code}/tables/${tb}`, { year: p.year }).replace('class="downloads"', `class="downloads" id="dl-${tb}"`);
    const ch = p.rank_change == null ? "" : p.rank_change > 0 ? `<span class="up">▲${p.rank_change}</span>` : p.rank_change < 0 ? `<span class="down">▼${-p.rank_change}</span>` : "=";
    const swCols = [{ label: t("indicator"), cls: "name", get: (x) => nm(x) }, { label: t("rank"), key: "rank", num: true }, { label: t("score"), num: true, get: (x) => fmt(x.score) }];
    content.innerHTML = `<div class="card"><h2 id="profile-name">${esc(ZH ? p.region_zh : p.region_en)} · ${p.year}: ${t("rank")} ${p.rank ?? "–"}/${p.n_regions} ${ch}</h2><p id="narrative">${esc(ZH ? p.narrative_zh : p.narrative_en)}</p></div>
      <div class="grid2"><div class="card"><h2>${t("radar")}</h2><div id="radar" class="chart"></div>${pdl("dims")}</div><div class="card"><h2>${t("trend")}</h2><div id="trend" class="chart"></div>${pdl("trend")}</div></div>
      <div class="grid2"><div class="card"><h2>${t("strengths")}</h2>${pdl("strengths")}${table(swCols, p.strengths, "strengths")}</div><div class="card"><h2>${t("weaknesses")}</h2>${pdl("weaknesses")}${table(swCols, p.weaknesses, "weaknesses")}</div></div>
      <div class="card"><h2>${t("peers")}</h2>${pdl("peers")}${table([{ label: t("province"), cls: "name", html: (x) => `<a href="/profile?lang=${LANG}&framework=${info.framework}&region=${x.region_code}">${esc(rn(x))}</a>` }, { label: t("distance"), num: true, get: (x) => fmt(x.distance) }], p.peers, "peers")}
      <p><a id="compare-peers" href="/compare?lang=${LANG}&framework=${info.framework}&regions=${[p.region_code, ...p.peers.slice(0, 1).map((x) => x.region_code)].join(",")}">${t("compare")} →</a>
      · <a id="whatif-link" href="/scenario?lang=${LANG}&framework=${info.framework}&region=${p.region_code}">${t("whatIf")} →</a></p></div>`;
    const labels = p.dims.map((d) => nm(d));
    plot("radar", [
      { type: "scatterpolar", r: [...p.dims.map((d) => d.score), p.dims[0].score], theta: [...labels, labels[0]], name: ZH ? p.region_zh : p.region_en, fill: "toself" },
      { type: "scatterpolar", r: [...p.dims.map((d) => d.national_mean), p.dims[0].national_mean], theta: [...labels, labels[0]], name: t("national"), line: { dash: "dot" } },
    ], { polar: { radialaxis: { range: [0, 1] } }, legend: { orientation: "h" } });
    const ys = p.trend.map((r) => r.year);
    plot("trend", [{ x: ys, y: p.trend.map((r) => r[info.root]), name: t("index"), mode: "lines+markers" },
      ...info.dimensions.map((d) => ({ x: ys, y: p.trend.map((r) => r[d]), name: nodeLabel(info, d), mode: "lines" })),
      { x: ys, y: p.trend.map((r) => r.national_mean), name: t("national"), mode: "lines", line: { dash: "dot", color: "#888" } }],
    { legend: { orientation: "h" }, xaxis: { dtick: 1 } });
  }

  // -- compare ------------------------------------------------------------------------------
  async function pageCompare() {
    const info = await framework();
    const regs = await regions();
    let chosen = (q.get("regions") || "110000,310000").split(",").filter(Boolean).slice(0, 4);
    controls.innerHTML = "";
    fwSelect(info, pageCompare);
    for (let i = 0; i < 4; i++) {
      select(`cmp${i}`, `${t("province")} ${i + 1}`, [["", "–"], ...regs.map((r) => [r.region_code, nm(r)])], chosen[i] || "", () => {
        const v = [0, 1, 2, 3].map((k) => $(`#cmp${k}`).value).filter(Boolean);
        setQuery("regions", [...new Set(v)].join(",")); pageCompare();
      });
    }
    if (chosen.length < 2) { content.innerHTML = `<p class="note">${ZH ? "请选择2至4个省份。" : "Choose 2 to 4 provinces."}</p>`; return; }
    const r = await api(`/api/v1/frameworks/${info.framework}/compare?regions=${chosen.join(",")}`);
    const dims = info.dimensions;
    const byReg = {}; r.items.forEach((x) => { (byReg[x.region_code] = byReg[x.region_code] || {})[x.node] = x; });
    const codes = Object.keys(byReg);
    content.innerHTML = `<div class="grid2"><div class="card"><div id="cmp-radar" class="chart"></div></div><div class="card"><div id="cmp-trend" class="chart"></div></div></div>
      <div class="card">${downloads(`/api/v1/frameworks/${info.framework}/compare`, { regions: chosen.join(",") })}<div id="cmp-table"></div></div>`;
    const labels = dims.map((d) => nodeLabel(info, d));
    plot("cmp-radar", codes.map((c) => ({ type: "scatterpolar", r: [...dims.map((d) => byReg[c][d]?.score), byReg[c][dims[0]]?.score], theta: [...labels, labels[0]], name: rn(byReg[c][info.root]), fill: "toself", opacity: 0.6 })),
      { polar: { radialaxis: { range: [0, 1] } }, legend: { orientation: "h" } });
    const tr = await api(`/api/v1/frameworks/${info.framework}/scores?all_years=true&limit=20000`);
    plot("cmp-trend", codes.map((c) => { const rows = tr.items.filter((x) => x.region_code === c); return { x: rows.map((x) => x.year), y: rows.map((x) => x.score), name: rn(rows[0] || byReg[c][info.root]), mode: "lines+markers" }; }),
      { legend: { orientation: "h" }, xaxis: { dtick: 1 }, title: { text: t("index"), font: { size: 13 } } });
    const cols = [{ label: t("node"), cls: "name", get: (x) => nm(x) }, ...codes.map((c) => ({ label: rn(byReg[c][info.root]), num: true, html: (row) => { const v = byReg[c][row.node]; return v ? `${fmt(v.score)} <span class="note">#${v.rank}</span>` : "–"; } }))];
    $("#cmp-table").innerHTML = table(cols, [info.root, ...dims].map((n) => ({ node: n, name_en: nodeLabel(info, n), name_zh: nodeLabel(info, n) })), "compare-table");
  }

  // -- disparity, opportunity, analyses -----------------------------------------------------
  async function pageDisparity() {
    const info = await framework();
    controls.innerHTML = ""; fwSelect(info, pageDisparity);
    const fw = info.framework;
    const d = await api(`/api/v1/frameworks/${fw}/analyses/disparity?limit=20000`);
    const g = await api(`/api/v1/frameworks/${fw}/analyses/group_means?limit=20000`);
    content.innerHTML = `<div class="card"><h2>${t("cv")}</h2><div id="cv" class="chart"></div>${downloads(`/api/v1/frameworks/${fw}/analyses/disparity`, {})}<p class="note">${ZH ? "变异系数 = 标准差/均值；下降表示省际差距缩小（σ收敛）。" : "CV = standard deviation / mean across provinces; a falling CV means converging provinces (sigma convergence)."}</p></div>
      <div class="card"><h2>${t("groups")}</h2><div id="groups" class="chart"></div>${downloads(`/api/v1/frameworks/${fw}/analyses/group_means`, {})}</div>`;
    const nodes = [info.root, ...info.dimensions];
    plot("cv", nodes.map((n) => { const rows = d.items.filter((x) => x.node === n); return { x: rows.map((x) => x.year), y: rows.map((x) => x.cv), name: nodeLabel(info, n), mode: "lines+markers" }; }), { legend: { orientation: "h" }, xaxis: { dtick: 1 } });
    const keys = [...new Set(g.items.map((x) => x.group))];
    plot("groups", keys.map((k) => { const rows = g.items.filter((x) => x.group === k); return { x: rows.map((x) => x.year), y: rows.map((x) => x.mean), name: ZH ? rows[0].group_zh : rows[0].group_en, mode: "lines+markers" }; }), { legend: { orientation: "h" }, xaxis: { dtick: 1 } });
  }
  async function pageOpportunity() {
    const info = await framework();
    controls.innerHTML = ""; fwSelect(info, pageOpportunity);
    const node = (q.get("node") && info.tree.some((n) => n.node === q.get("node"))) ? q.get("node") : info.root;
    select("node", t("node"), [info.root, ...info.dimensions].map((n) => [n, nodeLabel(info, n)]), node, (v) => { setQuery("node", v); pageOpportunity(); });
    const r = await api(`/api/v1/frameworks/${info.framework}/opportunity?node=${encodeURIComponent(node)}&limit=100`);
    content.innerHTML = `<div class="card"><div id="matrix" class="chart" style="min-height:480px"></div>${downloads(`/api/v1/frameworks/${info.framework}/opportunity`, { node })}
      <p class="note">${ZH ? "横轴：最新年份得分；纵轴：首年以来的得分变化；虚线为中位数。" : "x: latest score; y: change since the first year; dashed lines at the medians."}</p><div id="matrix-table"></div></div>`;
    const it = r.items;
    plot("matrix", [{ type: "scatter", mode: "markers+text", x: it.map((x) => x.score_latest), y: it.map((x) => x.change), text: it.map((x) => rn(x)), textposition: "top center", textfont: { size: 10 }, marker: { size: 9, color: it.map((x) => ({ leader: "#1a7f37", rising: "#1f6fb2", slowing: "#d08700", lagging: "#b42318" }[x.quadrant])) }, hovertemplate: "%{text}<br>%{x:.3f}, %{y:+.3f}<extra></extra>" }],
      { height: 480, xaxis: { title: { text: t("level") } }, yaxis: { title: { text: t("momentum") } },
        shapes: [{ type: "line", xref: "x", yref: "paper", x0: r.meta.median_level, x1: r.meta.median_level, y0: 0, y1: 1, line: { dash: "dash", color: "#999" } },
          { type: "line", xref: "paper", yref: "y", y0: r.meta.median_change, y1: r.meta.median_change, x0: 0, x1: 1, line: { dash: "dash", color: "#999" } }] });
    $("#matrix-table").innerHTML = table([{ label: t("province"), cls: "name", get: rn }, { label: t("quadrant"), get: (x) => t(x.quadrant) }, { label: t("score"), num: true, get: (x) => fmt(x.score_latest) }, { label: t("firstYear"), num: true, get: (x) => fmt(x.change) }], it, "matrix-rows");
  }
  async function pageAnalyses() {
    const info = await framework();
    controls.innerHTML = ""; fwSelect(info, pageAnalyses);
    const fw = info.framework;
    const a = await api(`/api/v1/frameworks/${fw}/analyses`);
    content.innerHTML = a.items.map((v) => `<div class="card" id="an-${v.name}"><h2>${esc(ZH ? v.title_zh : v.title_en)}</h2><p class="note">${esc(ZH ? v.description_zh : v.description_en)}</p>${v.available ? `${downloads(`/api/v1/frameworks/${fw}/analyses/${v.name}`, {})}<div id="an-body-${v.name}"></div>` : `<p class="note">${t("none")}</p>`}</div>`).join("");
    for (const v of a.items.filter((x) => x.available)) {
      const d = await api(`/api/v1/frameworks/${fw}/analyses/${v.name}?limit=200`);
      const el = $(`#an-body-${v.name}`);
      if ((v.chart === "lines" || v.chart === "bars") && v.x && v.y) {
        el.innerHTML = `<div id="an-chart-${v.name}" class="chart"></div>`;
        const groups = {}; d.items.forEach((r) => { const k = v.series ? r[v.series] : v.y; (groups[k] = groups[k] || []).push(r); });
        plot(`an-chart-${v.name}`, Object.entries(groups).map(([k, rows]) => ({ type: v.chart === "bars" ? "bar" : "scatter", mode: "lines+markers", x: rows.map((r) => r[v.x]), y: rows.map((r) => r[v.y]), name: k })), { legend: { orientation: "h" } });
      } else {
        const cols = Object.keys(d.items[0] || {}).map((c) => ({ label: c, get: (r) => (typeof r[c] === "number" && !Number.isInteger(r[c]) ? fmt(r[c], 4) : r[c]) }));
        el.innerHTML = table(cols, d.items.slice(0, 50)) + (d.total > 50 ? `<p class="note">${d.total} ${t("rows")}</p>` : "");
      }
    }
  }

  // -- qualifier ----------------------------------------------------------------------------
  async function pageQualifier() {
    controls.innerHTML = "";
    const models = [["hybrid", "mHybrid"], ["rules", "mRules"], ["fitted", "mFitted"]].map(([v, k]) => `<option value="${v}">${esc(t(k))}</option>`).join("");
    content.innerHTML = `<form id="qform" class="card"><textarea id="qtext" maxlength="20000" placeholder="${esc(t("textPh"))}"></textarea><p><label>${t("qmodel")} <select id="qmodel">${models}</select></label> <button type="submit">${t("qualify")}</button></p></form><div id="qresult"></div>`;
    $("#qform").addEventListener("submit", async (e) => {
      e.preventDefault();
      $("#qresult").innerHTML = `<p class="note">${t("loading")}</p>`;
      try {
        const r = await api("/api/v1/innovation/qualify", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ text: $("#qtext").value, model: $("#qmodel").value }) });
        const scores = Object.entries(r.scores).map(([k, v]) => ({ k, v }));
        $("#qresult").innerHTML = `<div class="card"><p class="verdict" id="verdict">${t("verdict")}: ${esc(ZH ? r.verdict_zh : r.verdict)}</p>
          <p id="qconf">${t("confidence")}: ${fmt(r.confidence, 3)}</p>
          <p id="qphrases">${t("phrases")}: ${esc(r.phrases.join("; ") || "–")}</p>
          <h2>${t("reasons")}</h2><ul>${r.reasons.map((x) => `<li>${esc(ZH ? x.zh : x.en)}</li>`).join("")}</ul>
          ${table([{ label: "", key: "k" }, { label: t("score"), num: true, get: (x) => fmt(x.v, 2) }], scores, "qscores")}
          <p>${t("sectors")}: ${esc(r.sectors.join(", ") || "–")}</p></div>`;
      } catch (err) { $("#qresult").innerHTML = `<p class="down">${t("error")}: ${esc(err.message)}</p>`; }
    });
  }

  // -- scenario -----------------------------------------------------------------------------
  function csvLink(id, cols, rows, name) {
    const line = (vals) => vals.map((v) => { const x = v == null ? "" : String(v); return /[",\n]/.test(x) ? `"${x.replace(/"/g, '""')}"` : x; }).join(",");
    const text = "\ufeff" + [line(cols), ...rows.map((r) => line(cols.map((c) => r[c])))].join("\n") + "\n";
    const url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
    return `<div class="downloads"><a id="${id}" href="${url}" download="${name}.csv">${t("csv")}</a>${xlsxButton(id + "-xlsx", name)}</div>`;
  }
  // XLSX of a scenario table: the server scores the same request again and writes the sheet
  let lastScenario = null;
  function xlsxButton(id, name) {
    const table = name.slice(name.lastIndexOf("_") + 1);
    return `<a id="${id}" href="#" class="dl-xlsx" data-table="${esc(table)}" data-name="${esc(name)}">${t("xlsx")}</a>`;
  }
  async function downloadScenarioXlsx(ev) {
    ev.preventDefault();
    const a = ev.currentTarget;
    if (!lastScenario) return;
    try {
      const r = await fetch(`/api/v1/frameworks/${lastScenario.fw}/whatif/tables/${a.dataset.table}?format=xlsx&limit=20000`,
        { method: "POST", headers: { "Content-Type": "application/json" }, body: lastScenario.body });
      if (!r.ok) { const j = await r.json().catch(() => ({ detail: r.statusText })); throw new Error(j.detail || r.statusText); }
      const url = URL.createObjectURL(await r.blob());
      const tmp = document.createElement("a"); tmp.href = url; tmp.download = `${a.dataset.name}.xlsx`;
      document.body.appendChild(tmp); tmp.click(); tmp.remove();
    } catch (err) { a.insertAdjacentHTML("afterend", `<span class="down">${t("error")}: ${esc(err.message)}</span>`); }
  }
  async function pageScenario() {
    const info = await framework();
    const regs = await regions();
    const fw = info.framework;
    const inds = (await api(`/api/v1/frameworks/${fw}/indicators?limit=500`)).items;
    const years = info.years;
    const pre = (q.get("region") || "").split(",").filter(Boolean);
    controls.innerHTML = ""; fwSelect(info, pageScenario);
    const opts = (list, chosen) => list.map(([v, l]) => `<option value="${esc(v)}"${chosen.includes(String(v)) ? " selected" : ""}>${esc(l)}</option>`).join("");
    const yopts = (sel) => years.map((y) => `<option value="${y}"${y === sel ? " selected" : ""}>${y}</option>`).join("");
    content.innerHTML = `<form id="sc-form" class="card">
      <div class="grid2"><label>${t("scRegions")}<br><select id="sc-regions" multiple size="8">${opts(regs.map((r) => [r.region_code, nm(r)]), pre.length ? pre : ["340000"])}</select></label>
      <label>${t("scIndicators")}<br><select id="sc-indicators" multiple size="8">${opts(inds.map((x) => [x.indicator, `${nm(x)} (${x.unit || ""})`]), [inds[0] ? inds[0].indicator : ""])}</select></label></div>
      <p class="note">${t("scHint")}</p>
      <div class="controls"><label>${t("scKind")} <select id="sc-kind"><option value="relative">${t("scRel")}</option><option value="set">${t("scSet")}</option><option value="peer_leader">${t("scPeer")}</option></select></label>
      <label>${t("scValue")} <input id="sc-value" type="number" step="any" value="20" style="width:8em"><span id="sc-unit">%</span></label>
      <label>${t("scFrom")} <select id="sc-from">${yopts(years[years.length - 1])}</select></label>
      <label>${t("scTo")} <select id="sc-to">${yopts(years[years.length - 1])}</select></label>
      <button type="submit" id="sc-run">${t("scRun")}</button></div></form><div id="sc-result"></div>`;
    $("#sc-kind").addEventListener("change", (e) => { const k = e.target.value; $("#sc-value").disabled = k === "peer_leader"; $("#sc-unit").textContent = k === "relative" ? "%" : ""; });
    const sel = (id) => [...$(id).selectedOptions].map((o) => o.value);
    $("#sc-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const out = $("#sc-result");
      out.innerHTML = `<p class="note">${t("loading")}</p>`;
      const kind = $("#sc-kind").value;
      const a = Number($("#sc-from").value), b = Number($("#sc-to").value);
      const ys = []; for (let y = Math.min(a, b); y <= Math.max(a, b); y++) ys.push(y);
      const raw = $("#sc-value").value;
      const change = { regions: sel("#sc-regions"), indicators: sel("#sc-indicators"), kind, years: ys };
      if (kind !== "peer_leader") change.value = raw === "" ? null : (kind === "relative" ? Number(raw) / 100 : Number(raw));
      try {
        const payload = JSON.stringify({ changes: [change] });
        const r = await api(`/api/v1/frameworks/${fw}/whatif`, { method: "POST", headers: { "Content-Type": "application/json" }, body: payload });
        lastScenario = { fw, body: payload };
        renderScenario(r, info);
        document.querySelectorAll("#sc-result a.dl-xlsx").forEach((a) => a.addEventListener("click", downloadScenarioXlsx));
      } catch (err) { out.innerHTML = `<p class="down" id="sc-error">${t("error")}: ${esc(err.message)}</p>`; }
    });
  }
  function renderScenario(r, info) {
    const arrow = (d) => (d > 0 ? `<span class="up">▲${d}</span>` : d < 0 ? `<span class="down">▼${-d}</span>` : "=");
    const idxCols = [{ label: t("province"), cls: "name", get: rn }, { label: t("year"), key: "year", num: true },
      { label: t("oldScore"), num: true, get: (x) => fmt(x.score_before, 4) }, { label: t("newScore"), num: true, get: (x) => fmt(x.score_after, 4) },
      { label: "Δ", num: true, get: (x) => (x.score_change >= 0 ? "+" : "") + fmt(x.score_change, 4) },
      { label: t("oldRank"), key: "rank_before", num: true }, { label: t("newRank"), key: "rank_after", num: true },
      { label: "", html: (x) => arrow(x.rank_before - x.rank_after) }];
    const movedCols = [{ label: t("province"), cls: "name", get: rn }, { label: t("year"), key: "year", num: true },
      { label: t("oldRank"), key: "rank_before", num: true }, { label: t("newRank"), key: "rank_after", num: true }, { label: "", html: (x) => arrow(x.rank_change) },
      { label: t("score"), num: true, get: (x) => fmt(x.score_after, 4) }];
    const chCols = [{ label: t("province"), cls: "name", get: (x) => (ZH ? x.region_zh : x.region_en) }, { label: t("year"), key: "year", num: true },
      { label: t("indicator"), get: (x) => nm(x) }, { label: t("unit"), key: "unit" },
      { label: t("before"), num: true, get: (x) => fmt(x.before, 4) }, { label: t("after"), num: true, get: (x) => fmt(x.after, 4) }];
    const im = r.implied;
    const lvl = Math.round(100 * im.level);
    const imp = im.available
      ? `<p class="note" id="sc-implied-note">${esc(im.note)} · coef ${fmt(im.coef, 3)} (SE ${fmt(im.se, 3)})</p>${table([{ label: t("province"), cls: "name", get: rn }, { label: t("year"), key: "year", num: true },
        { label: "Δ " + t("index"), num: true, get: (x) => fmt(x.index_change, 4) }, { label: t("implied"), num: true, get: (x) => fmt(x.implied_change, 4) },
        { label: `${t("interval")} ${lvl}%`, num: true, get: (x) => `${fmt(x.low, 4)} – ${fmt(x.high, 4)}` }], im.rows, "sc-implied")}`
      : `<p class="note" id="sc-implied-note">${esc(im.note)}</p>`;
    const idxNames = ["region_code", "region_en", "region_zh", "year", "score_before", "score_after", "score_change", "rank_before", "rank_after"];
    const movedNames = ["region_code", "region_en", "region_zh", "year", "rank_before", "rank_after", "rank_change", "score_before", "score_after"];
    $("#sc-result").innerHTML = `<div class="card"><h2>${t("scNew")} · ${esc(nodeLabel(info, r.node))}</h2>${csvLink("sc-dl-index", idxNames, r.index, `scenario_${r.framework}_index`)}${table(idxCols, r.index, "sc-index")}</div>
      <div class="card"><h2>${t("scImplied")}</h2>${imp}</div>
      <div class="card"><h2>${t("scMoved")}</h2>${r.moved.length ? csvLink("sc-dl-moved", movedNames, r.moved, `scenario_${r.framework}_moved`) + table(movedCols, r.moved, "sc-moved") : `<p class="note" id="sc-moved">${t("nobody")}</p>`}</div>
      <div class="card"><h2>${t("scApplied")}</h2>${table(chCols, r.changes, "sc-changes")}<h2>${t("notes")}</h2><ul id="sc-notes">${r.notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul></div>`;
  }

  // -- sources and method -------------------------------------------------------------------
  async function pageSources() {
    controls.innerHTML = "";
    const v = await api("/api/v1/variables?limit=2000");
    content.innerHTML = `<div class="card">${downloads("/api/v1/variables", {})}${table([
      { label: t("variable"), key: "variable", cls: "nowrap" }, { label: t("variable"), get: (x) => nm(x) }, { label: t("unit"), key: "unit" },
      { label: t("coverage"), get: (x) => `${x.first_year ?? ""}–${x.last_year ?? ""} · ${x.provinces_covered ?? ""}` }, { label: t("source"), key: "source" }], v.items, "sources-table")}</div>`;
  }
  async function pageMethod() {
    const info = await framework();
    controls.innerHTML = ""; fwSelect(info, pageMethod);
    const fw = info.framework;
    const ind = await api(`/api/v1/frameworks/${fw}/indicators?limit=500`);
    const w = await api(`/api/v1/frameworks/${fw}/analyses/weights?limit=500`).catch(() => ({ items: [] }));
    const steps = Object.entries(info.spec || {}).map(([k, s]) => ({ k, s: JSON.stringify(s) }));
    content.innerHTML = `<div class="card"><h2>${esc(ZH ? info.name_zh : info.name_en)} · v${esc(info.version)}</h2>
      <p class="note">${t("years")}: ${info.years[0]}–${info.years[info.years.length - 1]} · spec ${esc(info.spec_hash)} · data ${esc(info.data_hash)} · nqpf ${esc(info.nqpf_version)} · ${esc(info.created_at)}</p>
      <h2>${t("spec")}</h2>${table([{ label: "step", key: "k" }, { label: "", key: "s" }], steps, "spec-table")}
      <h2>${t("notes")}</h2><ul id="notes">${(info.notes || []).map((n) => `<li>${esc(n)}</li>`).join("") || "<li>–</li>"}</ul></div>
      <div class="card"><h2>${t("indicators")}</h2>${downloads(`/api/v1/frameworks/${fw}/indicators`, {})}${table([
        { label: t("indicator"), get: (x) => nm(x), cls: "nowrap" }, { label: t("node"), key: "dimension" }, { label: t("formula"), key: "formula" }, { label: t("unit"), key: "unit" },
        { label: t("direction"), key: "direction", num: true }, { label: t("rationale"), get: (x) => `${x.rationale || ""} ${x.reference || ""}` }], ind.items, "indicators-table")}</div>
      <div class="card"><h2>${t("weights")}</h2>${w.items.length ? downloads(`/api/v1/frameworks/${fw}/analyses/weights`, {}) : ""}${w.items.length ? table(Object.keys(w.items[0]).map((c) => ({ label: c, get: (r) => (typeof r[c] === "number" ? fmt(r[c], 4) : r[c]) })), w.items, "weights-table") : "–"}</div>`;
  }

  // -- state banner: data newer than the run, a rebuild running or failed ----------------------
  async function stateBanner() {
    const el = $("#state-banner");
    if (!el || !FWS.length) return;
    let s;
    try { s = await api("/api/v1/state"); } catch (e) { return; }
    const job = s.rebuild;
    const parts = [];
    if (s.stale) {
      const both = ZH ? `${s.message_zh}（${s.message_en}）` : `${s.message_en} / ${s.message_zh}`;
      const which = s.stale_frameworks.map((f) => `${f.framework}: ${f.variables.join(", ")} (${f.cells} ${ZH ? "个单元格" : "cells"})`).join("; ");
      parts.push(`<strong id="stale-msg">${esc(both)}</strong> <span class="note" id="stale-which">${ZH ? "变动的输入" : "Changed inputs"}: ${esc(which)}</span>`);
      if (!(job && job.status === "running")) parts.push(`<span class="note" id="stale-fix">${ZH
        ? "管理员可重算：POST /api/v1/admin/rebuild（需令牌），或重新运行 nqpf run 并重启服务。"
        : "An administrator can rebuild: POST /api/v1/admin/rebuild (token), or run nqpf run and restart the server."}</span>`);
    }
    if (job && job.status === "running") parts.push(`<strong id="rebuild-msg">${ZH ? "正在重算（Rebuilding）" : "Rebuilding the run / 正在重算"}</strong> <span class="note">${esc(job.step || "")}</span>`);
    if (job && (job.status === "failed" || job.status === "interrupted") && s.stale) parts.push(`<span class="down" id="rebuild-failed">${ZH ? "上次重算失败，仍显示原结果" : "The last rebuild failed; the served run is unchanged / 重算失败"}: ${esc(job.error || "")}</span>`);
    if (!parts.length) { el.hidden = true; return; }
    el.innerHTML = parts.join("<br>");
    el.hidden = false;
    body.setAttribute("data-stale", s.stale ? "1" : "0");
    if (job && job.status === "running") setTimeout(stateBanner, 5000);
  }
  stateBanner();

  const PAGES = { map: pageMap, profile: pageProfile, compare: pageCompare, scenario: pageScenario, disparity: pageDisparity, opportunity: pageOpportunity, analyses: pageAnalyses, qualifier: pageQualifier, sources: pageSources, method: pageMethod };
  syncLang();
  const run = PAGES[body.dataset.page];
  if (run) run().then(() => body.setAttribute("data-ready", "1")).catch((e) => {
    if (e instanceof EmptyRuns) { emptyState(); body.setAttribute("data-ready", "empty"); return; }
    fail(e); body.setAttribute("data-ready", "error");
  });
})();
