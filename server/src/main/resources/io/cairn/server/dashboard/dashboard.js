// Cairn cluster dashboard: polls /api/cluster (any node answers for the whole cluster) and renders
// the ring, node cards, shard table, charts and recent events. Plain ES2020, no build step; uPlot
// is the only dependency and is vendored next to this file.
'use strict';

const API_PATH = '/api/cluster';
const POLL_MS = 1000;
const TIMEOUT_MS = 3000;
const HISTORY_S = 300;
const MAX_EVENTS = 100;
const CHART_HEIGHT = 170;
const MIN_WINDOW_S = 60;
const TIME_TICKS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300];
const SVG_NS = 'http://www.w3.org/2000/svg';
const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2',
                 '#b07aa1', '#edc948', '#9c755f', '#ff9da7', '#5f6b7a'];

// ---------------------------------------------------------------- DOM helpers

function setAttrs(el, attrs) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value != null && value !== false) el.setAttribute(name, String(value));
  }
  return el;
}

// children may be strings, nodes, nested arrays, or null/false (skipped) so callers can
// write conditional parts inline.
function appendAll(el, children) {
  el.append(...children.flat(Infinity).filter(c => c != null && c !== false));
  return el;
}

function h(tag, attrs = {}, ...children) {
  return appendAll(setAttrs(document.createElement(tag), attrs), children);
}

function svg(tag, attrs = {}, ...children) {
  return appendAll(setAttrs(document.createElementNS(SVG_NS, tag), attrs), children);
}

function replaceContent(el, ...children) {
  el.replaceChildren();
  return appendAll(el, children);
}

// ---------------------------------------------------------------- formatting

function fmtNum(v) {
  if (v == null || !Number.isFinite(v)) return '—';
  if (Math.abs(v) >= 100) return v.toFixed(0);
  return v.toFixed(Math.abs(v) >= 10 ? 1 : 2);
}

// Axis ticks are round numbers already; fmtNum's fixed decimals would print "0.00".
function fmtTick(v) {
  return String(Number(v.toPrecision(4)));
}

function fmtQuantile(q) {
  if (q == null) return '—';
  return q.above ? `> ${fmtNum(q.ms)}` : fmtNum(q.ms);
}

function fmtDuration(seconds) {
  if (seconds == null || !Number.isFinite(seconds)) return '—';
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor(s / 60) % 60}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor(s / 3600) % 24}h`;
}

function fmtMegabytes(bytes) {
  return typeof bytes === 'number' ? `${(bytes / 1048576).toFixed(0)} MB` : '—';
}

function fmtClock(ms) {
  return new Date(ms).toLocaleTimeString([], {hour12: false});
}

// ---------------------------------------------------------------- cluster model

const byId = (a, b) => String(a).localeCompare(String(b), 'en', {numeric: true});

function compareShards(a, b) {
  if (a === b) return 0;
  if (a === 'meta') return -1;
  if (b === 'meta') return 1;
  return byId(a, b);
}

// A member missing the flag is taken as reachable: only an explicit false means the serving
// node failed to ask it.
const isReachable = m => m.reachable !== false;

function nodeStatus(m) {
  if (!isReachable(m) || m.state === 'DEAD') return 'down';
  return m.ready === true ? 'up' : 'not-ready';
}

// A shard's leader is the reachable member whose replica says "leader"; during an election two
// may claim it, and the one with the higher term is the current one.
function findLeaders(members) {
  const leaders = new Map();
  for (const m of members.filter(isReachable)) {
    for (const r of m.replicas ?? []) {
      if (r.role !== 'leader') continue;
      const shard = String(r.shard);
      const best = leaders.get(shard);
      if (!best || (r.term ?? 0) > (best.replica.term ?? 0)) leaders.set(shard, {node: m.id, replica: r});
    }
  }
  return leaders;
}

// The placement in `shards` is what the cluster wants; members may also report replicas not (or
// no longer) in it, e.g. during a move, so both are listed.
function listShards(snap, members) {
  const shards = new Map();
  for (const s of snap.shards ?? []) {
    shards.set(String(s.shard), {...s, shard: String(s.shard), replicas: new Set(s.replicas ?? [])});
  }
  for (const m of members.filter(isReachable)) {
    for (const r of m.replicas ?? []) {
      const shard = String(r.shard);
      if (!shards.has(shard)) shards.set(shard, {shard, replicas: new Set()});
      shards.get(shard).replicas.add(m.id);
    }
  }
  return [...shards.values()]
    .map(s => ({...s, replicas: [...s.replicas].sort(byId)}))
    .sort((a, b) => compareShards(a.shard, b.shard));
}

function deriveView(snap) {
  const members = [...snap.members].sort((a, b) => byId(a.id, b.id));
  const leaders = findLeaders(members);
  const shards = listShards(snap, members);
  return {members, leaders, shards, byId: new Map(members.map(m => [m.id, m]))};
}

function ledShards(m, view) {
  return view.shards.filter(s => view.leaders.get(s.shard)?.node === m.id).map(s => s.shard);
}

// An unreachable node cannot tell what it holds, so its share of the wanted placement is shown.
function heldShards(m, view) {
  const held = isReachable(m)
    ? (m.replicas ?? []).map(r => String(r.shard))
    : view.shards.filter(s => s.replicas.includes(m.id)).map(s => s.shard);
  return [...new Set(held)].sort(compareShards);
}

// ---------------------------------------------------------------- rates and quantiles

const EMPTY_SERIES = {count: 0, sum_s: 0, buckets: []};

function seriesKey(r) {
  return `${r.method}\u0000${r.code}`;
}

function counterWentDown(prev, cur) {
  if (cur.count < prev.count || (cur.sum_s ?? 0) < (prev.sum_s ?? 0)) return true;
  const before = new Map(prev.buckets);
  return cur.buckets.some(([bound, n]) => n < (before.get(bound) ?? 0));
}

function bucketDelta(prev, cur) {
  const before = new Map(prev.buckets);
  return cur.buckets.map(([bound, n]) => [bound, n - (before.get(bound) ?? 0)]);
}

// The differences of one node's request series since its previous sample, or null when there is
// no usable previous sample (first sight of the node, or it restarted: uptime went back).
// A series absent from the previous sample started from zero, as Prometheus counters do.
function nodeDeltas(m, t, baseline) {
  if (!baseline || !(t > baseline.t)) return null;
  if (typeof m.uptime_s === 'number' && typeof baseline.uptime === 'number' && m.uptime_s < baseline.uptime) {
    return null;
  }
  const seconds = (t - baseline.t) / 1000;
  const deltas = [];
  for (const cur of m.requests ?? []) {
    const prev = baseline.series.get(seriesKey(cur)) ?? EMPTY_SERIES;
    if (counterWentDown(prev, cur)) continue;
    deltas.push({method: cur.method, code: cur.code, count: cur.count - prev.count,
                 buckets: bucketDelta(prev, cur), seconds});
  }
  return deltas;
}

// Series may not share bucket bounds, so each contributes, at every bound of the union, its
// cumulative count at the largest own bound not above it: the merge stays cumulative.
function mergeBuckets(histograms) {
  const bounds = [...new Set(histograms.flatMap(hist => hist.map(([b]) => b)))].sort((a, b) => a - b);
  return bounds.map(bound => [bound, histograms.reduce((sum, hist) => sum + cumulativeAt(hist, bound), 0)]);
}

function cumulativeAt(hist, bound) {
  let n = 0;
  for (const [b, c] of hist) {
    if (b > bound) break;
    n = c;
  }
  return n;
}

// As Prometheus' histogram_quantile: the first bucket reaching the rank, interpolated linearly
// inside it. The bounds may stop below the slowest calls; then only "above the last bound" is known.
function quantile(buckets, total, q) {
  if (!(total > 0) || buckets.length === 0) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [bound, cum] of buckets) {
    if (cum >= rank) {
      const inBucket = cum - lowerCount;
      const seconds = inBucket > 0 ? lowerBound + (bound - lowerBound) * (rank - lowerCount) / inBucket : bound;
      return {ms: seconds * 1000, above: false};
    }
    lowerBound = bound;
    lowerCount = cum;
  }
  return {ms: lowerBound * 1000, above: true};
}

function summarize(deltas) {
  const total = deltas.reduce((n, d) => n + d.count, 0);
  const buckets = mergeBuckets(deltas.map(d => d.buckets));
  return {
    rps: deltas.reduce((n, d) => n + d.count / d.seconds, 0),
    eps: deltas.filter(d => d.code !== 'OK').reduce((n, d) => n + d.count / d.seconds, 0),
    p50: quantile(buckets, total, 0.5),
    p99: quantile(buckets, total, 0.99),
  };
}

function groupBy(items, keyOf) {
  const groups = new Map();
  for (const item of items) {
    const key = keyOf(item);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(item);
  }
  return groups;
}

// Counters are cumulative since each node started, so every figure comes from the difference to
// that node's previous sample (kept in `baselines`, updated here). Each node's interval is its own:
// after a node was unreachable for a while its first figures average over the whole gap.
function measureInterval(snap, t, baselines) {
  const nodes = new Map();
  const allDeltas = [];
  for (const m of snap.members) {
    if (!isReachable(m)) {
      nodes.set(m.id, null);
      continue;
    }
    const deltas = nodeDeltas(m, t, baselines.get(m.id));
    baselines.set(m.id, {t, uptime: m.uptime_s,
                         series: new Map((m.requests ?? []).map(r => [seriesKey(r), r]))});
    nodes.set(m.id, deltas && summarize(deltas));
    if (deltas) allDeltas.push(...deltas);
  }
  const ops = new Map([...groupBy(allDeltas, d => d.method)].map(([method, ds]) => [method, summarize(ds)]));
  return {t, nodes, ops};
}

// ---------------------------------------------------------------- charts

// Colours stay with a name for the page's lifetime, so a series keeps its colour when others come.
function makeColourRegistry() {
  const assigned = new Map();
  return name => {
    if (!assigned.has(name)) assigned.set(name, PALETTE[assigned.size % PALETTE.length]);
    return assigned.get(name);
  };
}
const nodeColour = makeColourRegistry();
const opColour = makeColourRegistry();

function perNode(rates, pick) {
  return [...rates.nodes].map(([id, r]) => ({key: id, value: r ? pick(r) : null, colour: nodeColour(id)}));
}

function latencyPerNode(rates) {
  return [...rates.nodes].flatMap(([id, r]) => [
    {key: `${id} p99`, value: r?.p99?.ms ?? null, colour: nodeColour(id)},
    {key: `${id} p50`, value: r?.p50?.ms ?? null, colour: nodeColour(id), dash: [5, 4]},
  ]);
}

function perOp(rates, pick) {
  return [...rates.ops].map(([method, r]) => ({key: method, value: pick(r), colour: opColour(method)}));
}

const CHART_DEFS = [
  {title: 'Throughput per node', unit: 'req/s', points: r => perNode(r, n => n.rps)},
  {title: 'Latency per node', unit: 'ms, p99 solid, p50 dashed', points: latencyPerNode},
  {title: 'Errors per node', unit: 'errors/s', points: r => perNode(r, n => n.eps)},
  {title: 'Throughput per operation', unit: 'req/s, all nodes', points: r => perOp(r, o => o.rps)},
  {title: 'p99 latency per operation', unit: 'ms, all nodes', points: r => perOp(r, o => o.p99?.ms ?? null)},
  {title: 'Errors per operation', unit: 'errors/s, all nodes', points: r => perOp(r, o => o.eps)},
];

// Away from the cursor the legend shows each series' latest value, so it doubles as a readout.
function legendValue(u, v, sidx, idx) {
  const ys = u.data[sidx];
  return fmtNum(idx == null ? ys[ys.length - 1] : v);
}

// One uPlot chart over the last HISTORY_S seconds. uPlot cannot take new series in place
// cheaply, so the plot is rebuilt whenever the set of series changes; otherwise only its data is.
class TimeChart {
  constructor(def, parent) {
    this.def = def;
    this.xs = [];
    this.series = new Map(); // key -> {colour, dash, ys}
    this.plotEl = h('div', {class: 'plot'});
    parent.append(h('div', {class: 'chart'},
      h('h3', {}, def.title, ' ', h('span', {class: 'unit'}, def.unit)), this.plotEl));
    this.plot = null;
  }

  push(rates) {
    const t = rates.t / 1000;
    // uPlot needs ascending x; a clock that went back (another node answering) would break it.
    if (this.xs.length && t <= this.xs[this.xs.length - 1]) return;
    const points = this.def.points(rates);
    let changed = this.addNewSeries(points);
    this.xs.push(t);
    const values = new Map(points.map(p => [p.key, p.value]));
    for (const [key, s] of this.series) s.ys.push(values.get(key) ?? null);
    changed = this.trim(t - HISTORY_S) || changed;
    if (changed || !this.plot) this.rebuild();
    else this.plot.setData(this.data());
  }

  // A series starts with its first value: one that never had any (a node down since the page
  // opened) would only be dropped again by trim.
  addNewSeries(points) {
    const fresh = points.filter(p => p.value != null && !this.series.has(p.key));
    for (const p of fresh) {
      this.series.set(p.key, {colour: p.colour, dash: p.dash, ys: new Array(this.xs.length).fill(null)});
    }
    return fresh.length > 0;
  }

  // Drops samples older than the window, and series (e.g. of a removed node) left with no value.
  trim(oldest) {
    const drop = this.xs.findIndex(x => x >= oldest);
    if (drop > 0) {
      this.xs.splice(0, drop);
      for (const s of this.series.values()) s.ys.splice(0, drop);
    }
    let changed = false;
    for (const [key, s] of this.series) {
      if (s.ys.every(v => v == null)) {
        this.series.delete(key);
        changed = true;
      }
    }
    return changed;
  }

  keys() {
    return [...this.series.keys()].sort(byId);
  }

  data() {
    return [this.xs, ...this.keys().map(k => this.series.get(k).ys)];
  }

  rebuild() {
    this.plot?.destroy();
    const series = this.keys().map(key => {
      const s = this.series.get(key);
      return {label: key, stroke: s.colour, dash: s.dash, width: 1.5, value: legendValue};
    });
    const axis = {stroke: '#5b6573', grid: {stroke: '#edf0f3'}, ticks: {stroke: '#dfe4ea'}};
    this.plot = new uPlot({
      width: this.width(),
      height: CHART_HEIGHT,
      series: [{value: (u, t) => (t == null ? 'latest' : fmtClock(t * 1000))}, ...series],
      scales: {
        // At least a minute wide, so the first samples grow in from the right instead of being
        // stretched over the whole width.
        x: {time: true, range: (u, min, max) => [Math.min(min, max - MIN_WINDOW_S), max]},
        // Rates and latencies start at zero; an empty chart still needs a non-empty range.
        y: {range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1]},
      },
      // Samples are a second apart: finer ticks would repeat the same HH:MM:SS label.
      axes: [{...axis, space: 70, incrs: TIME_TICKS_S, values: (u, ticks) => ticks.map(t => fmtClock(t * 1000))},
             {...axis, size: 52, values: (u, ticks) => ticks.map(fmtTick)}],
      // Zooming makes little sense on a view that moves every second.
      cursor: {drag: {x: false, y: false}},
    }, this.data(), this.plotEl);
  }

  width() {
    return Math.max(200, this.plotEl.clientWidth);
  }

  resize() {
    this.plot?.setSize({width: this.width(), height: CHART_HEIGHT});
  }
}

// ---------------------------------------------------------------- ring

const RING = {width: 520, height: 430, radius: 112, nodeRadius: 25, chipHeight: 17, gap: 3, rowWidth: 108, margin: 2};

function chipWidth(label) {
  return 10 + 7.2 * label.length;
}

function greedyRows(labels, rowWidth) {
  const rows = [[]];
  let x = 0;
  for (const label of labels) {
    const w = chipWidth(label);
    if (x > 0 && x + w > rowWidth) {
      rows.push([]);
      x = 0;
    }
    rows[rows.length - 1].push({label, x, w});
    x += w + RING.gap;
  }
  return rows.map(row => ({chips: row, width: row.length ? row[row.length - 1].x + row[row.length - 1].w : 0}));
}

// As few rows as RING.rowWidth allows, then as narrow as that many rows allow, so a block of
// five chips reads as 3 + 2 rather than 4 + 1.
function layoutChips(labels) {
  const rowCount = greedyRows(labels, RING.rowWidth).length;
  let width = labels.reduce((sum, label) => sum + chipWidth(label) + RING.gap, 0) / rowCount;
  while (width < RING.rowWidth && greedyRows(labels, width).length > rowCount) width += 4;
  return greedyRows(labels, Math.min(width, RING.rowWidth));
}

// Keeps a chip block inside the drawing when a node holds more shards than its side has room for.
function clamp(start, room) {
  return Math.max(RING.margin, Math.min(start, room - RING.margin));
}

// The chip block sits on the far side of the node from the ring's centre, aligned so it grows
// away from the ring whatever the node's angle.
function chipBlock(labels, led, angle, nx, ny) {
  const rows = layoutChips(labels);
  const blockW = Math.max(0, ...rows.map(r => r.width));
  const blockH = rows.length * (RING.chipHeight + RING.gap) - RING.gap;
  const reach = RING.nodeRadius + 8;
  const ax = nx + Math.cos(angle) * reach;
  const ay = ny + Math.sin(angle) * reach;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const left = clamp(cos > 0.3 ? ax : cos < -0.3 ? ax - blockW : ax - blockW / 2, RING.width - blockW);
  const top = clamp(sin > 0.3 ? ay : sin < -0.3 ? ay - blockH : ay - blockH / 2, RING.height - blockH);
  return rows.flatMap((row, i) => row.chips.map(c => {
    const x = left + c.x + (cos >= -0.3 && cos <= 0.3 ? (blockW - row.width) / 2 : cos < -0.3 ? blockW - row.width : 0);
    const y = top + i * (RING.chipHeight + RING.gap);
    const isLed = led.includes(c.label);
    return svg('g', {class: isLed ? 'chip led' : 'chip'},
      svg('rect', {x, y, width: c.w, height: RING.chipHeight, rx: 3}),
      svg('text', {x: x + c.w / 2, y: y + RING.chipHeight / 2 + 0.5}, c.label));
  }));
}

function ringNode(m, view, angle) {
  const cx = RING.width / 2 + Math.cos(angle) * RING.radius;
  const cy = RING.height / 2 + Math.sin(angle) * RING.radius;
  const status = nodeStatus(m);
  const led = ledShards(m, view);
  return svg('g', {class: `ring-node ${status}`, 'data-node': m.id},
    svg('title', {}, `${m.id}: ${healthText(m)}`),
    svg('circle', {class: 'node-dot', cx, cy, r: RING.nodeRadius}),
    svg('text', {class: 'node-label', x: cx, y: cy + 0.5}, m.id),
    chipBlock(heldShards(m, view), led, angle, cx, cy));
}

function renderRing(view) {
  const n = view.members.length;
  const cx = RING.width / 2;
  const cy = RING.height / 2;
  const ring = document.getElementById('ring');
  replaceContent(ring,
    svg('circle', {class: 'ring-line', cx, cy, r: RING.radius}),
    svg('text', {class: 'ring-caption', x: cx, y: cy - 8}, `${n} member${n === 1 ? '' : 's'}`),
    svg('text', {class: 'ring-caption minor', x: cx, y: cy + 10},
      `${view.leaders.size} of ${view.shards.length} shards led`),
    // Start at twelve o'clock and go clockwise, in id order.
    view.members.map((m, i) => ringNode(m, view, -Math.PI / 2 + (2 * Math.PI * i) / Math.max(1, n))));
  fitHeight(ring);
}

// With few nodes nothing sits at the bottom of the circle, so the drawing is cut to what it holds
// vertically (keeping its width, hence its scale) and the panels below move up.
function fitHeight(ring) {
  ring.setAttribute('viewBox', `0 0 ${RING.width} ${RING.height}`);
  const box = ring.getBBox();
  if (box.height <= 0) return;
  const top = Math.max(0, box.y - RING.margin);
  const bottom = Math.min(RING.height, box.y + box.height + RING.margin);
  ring.setAttribute('viewBox', `0 ${top} ${RING.width} ${bottom - top}`);
}

// ---------------------------------------------------------------- node cards

function healthText(m) {
  if (!isReachable(m)) return `unreachable: ${m.error ?? 'no answer'}`;
  if (m.state === 'DEAD') return 'declared DEAD by the membership';
  if (m.ready !== true) return m.ready_reason ?? 'not ready';
  return 'ready';
}

const STATUS_LABEL = {'up': 'ready', 'not-ready': 'not ready', 'down': 'down'};

function metric(label, value) {
  return h('div', {class: 'metric'}, h('dt', {}, label), h('dd', {}, value));
}

function nodeCard(m, view, rates) {
  const status = nodeStatus(m);
  const r = rates.nodes.get(m.id);
  const led = ledShards(m, view);
  const held = heldShards(m, view);
  return h('div', {class: `node ${status}`, 'data-node': m.id, 'data-status': status},
    h('div', {class: 'node-head'},
      h('span', {class: 'node-id'}, m.id),
      h('span', {class: `pill ${status}`}, STATUS_LABEL[status]),
      h('span', {class: 'node-state'}, m.state ?? '')),
    h('div', {class: 'node-addr'}, m.address ?? '', m.http ? ` · http ${m.http}` : ''),
    h('div', {class: 'node-health', title: healthText(m)}, healthText(m)),
    h('dl', {class: 'metrics'},
      metric('req/s', fmtNum(r?.rps)),
      metric('err/s', fmtNum(r?.eps)),
      metric('p50 ms', fmtQuantile(r?.p50)),
      metric('p99 ms', fmtQuantile(r?.p99)),
      metric('heap', fmtMegabytes(m.heap_used_bytes)),
      metric('uptime', fmtDuration(m.uptime_s))),
    h('div', {class: 'node-shards'},
      h('span', {class: 'count'}, `leads ${led.length}`), h('span', {class: 'node-leads'}, led.join(', '))),
    h('div', {class: 'node-shards'},
      h('span', {class: 'count'}, `holds ${held.length}`), h('span', {class: 'node-holds'}, held.join(', '))));
}

function renderNodes(view, rates) {
  replaceContent(document.getElementById('nodes'), view.members.map(m => nodeCard(m, view, rates)));
}

// ---------------------------------------------------------------- shard table

function slotRange(s) {
  return typeof s.first_slot === 'number' && typeof s.end_slot === 'number' ? `${s.first_slot}–${s.end_slot - 1}` : '—';
}

// Lag is how far a replica's state machine trails what its leader has committed; a follower may
// have applied slightly past the leader's commit as we saw it, which counts as no lag.
function replicaCell(id, shard, view) {
  const m = view.byId.get(id);
  if (!m) return h('span', {class: 'replica unknown'}, `${id} unknown`);
  if (!isReachable(m)) return h('span', {class: 'replica down'}, `${id} down`);
  const r = (m.replicas ?? []).find(x => String(x.shard) === shard);
  if (!r) return h('span', {class: 'replica absent'}, `${id} not open`);
  const leader = view.leaders.get(shard)?.replica;
  const lag = typeof leader?.commit === 'number' && typeof r.applied === 'number'
    ? String(Math.max(0, leader.commit - r.applied)) : '—';
  return h('span', {class: `replica role-${r.role}`, title: `commit ${r.commit ?? '—'}, applied ${r.applied ?? '—'}, last ${r.last ?? '—'}`},
    h('b', {}, id), ` ${r.role} · lag ${lag}`);
}

function shardTerm(s, view) {
  const leader = view.leaders.get(s.shard);
  if (leader) return leader.replica.term ?? '—';
  const terms = view.members.filter(isReachable)
    .flatMap(m => (m.replicas ?? []).filter(r => String(r.shard) === s.shard).map(r => r.term ?? 0));
  return terms.length ? Math.max(...terms) : '—';
}

function shardRow(s, view) {
  const leader = view.leaders.get(s.shard);
  return h('tr', {class: leader ? 'shard' : 'shard no-leader', 'data-shard': s.shard, 'data-leader': leader?.node ?? ''},
    h('td', {class: 'shard-id'}, s.shard),
    h('td', {class: 'num'}, slotRange(s)),
    h('td', {}, leader ? leader.node : 'no leader'),
    h('td', {class: 'num'}, shardTerm(s, view)),
    h('td', {class: 'num'}, leader?.replica.commit ?? '—'),
    h('td', {class: 'replicas'}, s.replicas.map(id => replicaCell(id, s.shard, view))));
}

function renderShards(view) {
  replaceContent(document.querySelector('#shards tbody'), view.shards.map(s => shardRow(s, view)));
}

// ---------------------------------------------------------------- events

function eventKey(e) {
  return `${e.time_ms}\u0000${e.node}\u0000${e.text}`;
}

// The serving node sends its latest ~100 events on every poll; they are merged here so repeats
// show once, and events stay listed after the node's own list moved past them (up to MAX_EVENTS).
class EventLog {
  constructor() {
    this.events = new Map();
  }

  add(events) {
    for (const e of events ?? []) {
      if (typeof e.time_ms === 'number') this.events.set(eventKey(e), e);
    }
    if (this.events.size > MAX_EVENTS) {
      this.events = new Map(this.newest().map(e => [eventKey(e), e]));
    }
  }

  newest() {
    return [...this.events.values()].sort((a, b) => b.time_ms - a.time_ms).slice(0, MAX_EVENTS);
  }
}

function eventItem(e) {
  const when = new Date(e.time_ms);
  return h('li', {class: `event kind-${e.kind}`, 'data-node': e.node},
    h('time', {datetime: when.toISOString(), title: when.toLocaleString()}, fmtClock(e.time_ms)),
    h('span', {class: 'kind'}, e.kind ?? ''),
    h('span', {class: 'text'}, e.text ?? `${e.node} ${e.kind} shard ${e.shard}`));
}

function renderEvents(log) {
  const items = log.newest().map(eventItem);
  replaceContent(document.getElementById('events'),
    items.length ? items : h('li', {class: 'empty'}, 'no leader changes or replica moves yet'));
}

// ---------------------------------------------------------------- header and banner

function renderHeader(snap) {
  document.getElementById('served-by').textContent = snap.served_by ?? '?';
  document.getElementById('epoch').textContent = snap.epoch ?? '—';
  document.getElementById('shard-count').textContent = snap.shard_count ?? '—';
  const refreshed = document.getElementById('refreshed');
  refreshed.textContent = fmtClock(Date.now());
  refreshed.classList.remove('stale');
}

function showBanner(text) {
  const banner = document.getElementById('banner');
  banner.textContent = text;
  banner.hidden = false;
  document.getElementById('refreshed').classList.add('stale');
}

function hideBanner() {
  document.getElementById('banner').hidden = true;
}

// ---------------------------------------------------------------- polling

async function fetchCluster() {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
  try {
    const res = await fetch(API_PATH, {cache: 'no-store', signal: abort.signal});
    if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
    const snap = await res.json();
    if (!snap || !Array.isArray(snap.members)) throw new Error('the answer is not a cluster status');
    return snap;
  } catch (e) {
    // The abort's own message ("signal is aborted without reason") says nothing useful.
    throw abort.signal.aborted ? new Error(`no answer within ${TIMEOUT_MS / 1000} s`) : e;
  } finally {
    clearTimeout(timer);
  }
}

function createDashboard() {
  const chartsEl = document.getElementById('charts');
  return {
    baselines: new Map(),
    events: new EventLog(),
    charts: CHART_DEFS.map(def => new TimeChart(def, chartsEl)),
  };
}

function render(dash, snap) {
  // Without the serving node's clock the browser's stands in; rates only need a steady clock.
  const t = typeof snap.time_ms === 'number' ? snap.time_ms : Date.now();
  const view = deriveView(snap);
  const rates = measureInterval(snap, t, dash.baselines);
  renderHeader(snap);
  renderRing(view);
  renderNodes(view, rates);
  renderShards(view);
  dash.events.add(snap.events);
  renderEvents(dash.events);
  for (const chart of dash.charts) chart.push(rates);
}

// A failed poll keeps the last view on screen under a banner; the next poll goes on regardless.
async function pollOnce(dash) {
  let snap;
  try {
    snap = await fetchCluster();
  } catch (e) {
    showBanner(`cannot reach ${location.host}: ${e.message}`);
    return;
  }
  try {
    render(dash, snap);
    hideBanner();
    document.body.dataset.loaded = 'true';
  } catch (e) {
    console.error(e);
    showBanner(`cannot show the answer of ${location.host}: ${e.message}`);
  }
}

// Polls are chained, never overlapping, each starting POLL_MS after the previous one started
// (or at once when that one took longer).
async function pollForever(dash) {
  for (;;) {
    const started = Date.now();
    await pollOnce(dash);
    await new Promise(resolve => setTimeout(resolve, Math.max(0, POLL_MS - (Date.now() - started))));
  }
}

function start() {
  const dash = createDashboard();
  let pending = false;
  window.addEventListener('resize', () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      for (const chart of dash.charts) chart.resize();
    });
  });
  pollForever(dash);
}

document.addEventListener('DOMContentLoaded', start);
