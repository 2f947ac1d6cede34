// The room graph: one node per event, an edge to each prev_event, laid out by dagre (parents above
// children), drawn in SVG with pan and zoom; clicking a node shows the event in full.
import dagre from '@dagrejs/dagre';
import { api, INSPECTOR } from './api.js';
import { h, s, clear, fmtTime, table } from './dom.js';
// The wire shape of one event as the inspector service answers it (type only: nothing of the
// server is bundled into the page).
import type { GraphNode } from '../inspector-service.js';

const NODE_W = 190;
const NODE_H = 40;
export const PAGE_SIZE = 100;

const TYPE_COLOURS: Record<string, string> = {
  'm.room.create': '#8e6cef',
  'm.room.member': '#3fa3e0',
  'm.room.power_levels': '#e08a3f',
  'm.room.join_rules': '#d0a13a',
  'm.room.history_visibility': '#b5a14a',
  'm.room.name': '#4ab58a',
  'm.room.topic': '#4aa7b5',
  'm.room.aliases': '#6bb54a',
  'm.room.message': '#9aa5b8',
  'm.room.redaction': '#c95a8a',
};

export function colourOf(type: string): string {
  const known = Object.prototype.hasOwnProperty.call(TYPE_COLOURS, type) ? TYPE_COLOURS[type] : undefined;
  if (known) return known;
  let hash = 0;
  for (let i = 0; i < type.length; i++) hash = (hash * 31 + type.charCodeAt(i)) | 0;
  return `hsl(${Math.abs(hash) % 360}, 45%, 62%)`;
}

function localpart(userId: string): string {
  return userId.replace(/^@/, '').split(':')[0];
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export class RoomGraph {
  private readonly events = new Map<string, GraphNode>();
  private extremities = new Set<string>();
  private before: number | null = null;
  private view = { x: 0, y: 0, k: 1 };
  private readonly svg: SVGSVGElement;
  private readonly layer: SVGElement;
  private readonly details: HTMLElement;
  private readonly status: HTMLElement;
  private readonly loadEarlier: HTMLButtonElement;
  private selected: string | null = null;
  /** Until the user pans or zooms, the view follows the newest events. */
  private userMoved = false;
  readonly root: HTMLElement;

  constructor(readonly roomId: string) {
    this.svg = s('svg', { 'data-testid': 'graph-svg' }) as SVGSVGElement;
    this.layer = s('g', { class: 'viewport' });
    this.svg.appendChild(s('defs', {},
      s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
        s('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#8a93a6' }))));
    this.svg.appendChild(this.layer);
    this.details = h('div', { class: 'details', id: 'event-details' }, h('p', { class: 'muted' }, 'Click an event to see its JSON, state and auth chain.'));
    this.status = h('span', { class: 'muted', id: 'graph-status' });
    this.loadEarlier = h('button', { class: 'plain', id: 'load-earlier', onclick: () => void this.load(true) }, 'Load earlier');
    const legend = h('div', { class: 'legend' },
      ...Object.entries(TYPE_COLOURS).map(([t, c]) => { const el = h('span', {}, t); el.style.setProperty('--c', c); return el; }),
      h('span', { class: 'muted' }, '▲ state · gold border: forward extremity · red: rejected · dashed: outlier'));
    this.root = h('div', {},
      h('div', { class: 'toolbar' }, h('strong', {}, 'Room '), h('code', {}, roomId), this.loadEarlier,
        h('button', { class: 'plain', id: 'fit', onclick: () => this.fit() }, 'Fit'), this.status),
      legend,
      h('div', { class: 'graph-wrap' }, h('div', { class: 'graph' }, this.svg), this.details));
    this.enablePanZoom();
  }

  /** The newest page, or (earlier) the page before the oldest loaded event. */
  async load(earlier = false): Promise<void> {
    if (earlier && this.before === null) return;
    const q = earlier ? `&before=${this.before}` : '';
    const page = await api<{ events: GraphNode[]; forward_extremities: string[]; before: number | null }>('GET',
      `${INSPECTOR}/rooms/${encodeURIComponent(this.roomId)}/events?limit=${PAGE_SIZE}${q}`);
    for (const e of page.events) this.events.set(e.event_id, e);
    this.extremities = new Set(page.forward_extremities);
    if (earlier || this.before === null || this.events.size <= page.events.length) this.before = page.before;
    this.render();
  }

  /** New events arrived: fetch the newest page again and merge it. */
  async refresh(): Promise<void> {
    const keepBefore = this.before;
    const hadEarlier = this.events.size > PAGE_SIZE;
    await this.load(false);
    if (hadEarlier) this.before = keepBefore;
  }

  private render(): void {
    const g = new dagre.graphlib.Graph();
    g.setGraph({ rankdir: 'TB', nodesep: 24, ranksep: 38, marginx: 20, marginy: 20 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const e of this.events.values()) g.setNode(e.event_id, { width: NODE_W, height: NODE_H });
    for (const e of this.events.values()) {
      for (const p of e.prev_events) if (this.events.has(p)) g.setEdge(p, e.event_id);
    }
    dagre.layout(g);
    clear(this.layer);
    const edges = s('g', { class: 'edges' });
    const nodes = s('g', { class: 'nodes' });
    for (const edge of g.edges()) {
      const pts = g.edge(edge).points as { x: number; y: number }[];
      const d = pts.map((p, i) => `${i ? 'L' : 'M'} ${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join(' ');
      edges.appendChild(s('path', { d, class: 'edge', fill: 'none', stroke: '#8a93a6', 'stroke-width': 1.4, 'marker-end': 'url(#arrow)',
        'data-from': edge.v, 'data-to': edge.w }));
    }
    for (const id of g.nodes()) {
      const e = this.events.get(id)!;
      const n = g.node(id);
      nodes.appendChild(this.node(e, n.x - NODE_W / 2, n.y - NODE_H / 2));
    }
    this.layer.appendChild(edges);
    this.layer.appendChild(nodes);
    const branches = this.extremities.size;
    this.status.textContent = `${this.events.size} events · ${branches} forward extremit${branches === 1 ? 'y' : 'ies'}` +
      (this.before === null ? ' · from the start' : '');
    this.loadEarlier.disabled = this.before === null;
    const label = g.graph();
    this.size = { w: label.width ?? 0, h: label.height ?? 0 };
    if (!this.userMoved) this.showLatest();
    else this.applyView();
  }

  private size = { w: 0, h: 0 };

  private node(e: GraphNode, x: number, y: number): SVGElement {
    const isState = e.state_key !== null;
    const isExtremity = this.extremities.has(e.event_id);
    const missingParents = e.prev_events.some((p) => !this.events.has(p));
    const stroke = e.rejected ? '#b3261e' : isExtremity ? '#e0a800' : '#4b5468';
    const grp = s('g', {
      class: `node${e.event_id === this.selected ? ' selected' : ''}${e.rejected ? ' rejected' : ''}${e.outlier ? ' outlier' : ''}${isExtremity ? ' extremity' : ''}${isState ? ' state' : ''}`,
      transform: `translate(${x.toFixed(1)} ${y.toFixed(1)})`,
      'data-event-id': e.event_id, 'data-type': e.type, 'data-extremity': isExtremity ? 'true' : 'false',
      'data-rejected': e.rejected ? 'true' : 'false', 'data-outlier': e.outlier ? 'true' : 'false', 'data-depth': e.depth,
      cursor: 'pointer',
    },
    s('title', {}, `${e.event_id}\n${e.type}${isState ? ` [${e.state_key}]` : ''}\n${e.sender}\ndepth ${e.depth}` +
      (e.rejected_reason ? `\nrejected: ${e.rejected_reason}` : '')),
    s('rect', { width: NODE_W, height: NODE_H, rx: 6, fill: colourOf(e.type), 'fill-opacity': e.outlier ? 0.35 : 0.9,
      stroke, 'stroke-width': isExtremity || e.rejected ? 3.5 : 1.2, 'stroke-dasharray': e.outlier ? '5 3' : null }),
    s('text', { x: 8, y: 16, 'font-size': 12, 'font-weight': 600, fill: '#111' },
      `${isState ? '▲ ' : ''}${shorten(e.type, 26)}${e.rejected ? ' ✕' : ''}`),
    s('text', { x: 8, y: 32, 'font-size': 11, fill: '#222' },
      shorten(`${localpart(e.sender)}${isState && e.state_key ? ` → ${localpart(e.state_key)}` : ''} · d${e.depth}`, 30)),
    missingParents && e.prev_events.length ? s('text', { x: NODE_W - 14, y: 14, 'font-size': 12, fill: '#111' }, '⋯') : null);
    grp.addEventListener('click', (ev) => {
      ev.stopPropagation();
      void this.select(e.event_id);
    });
    return grp;
  }

  async select(eventId: string): Promise<void> {
    this.selected = eventId;
    for (const n of this.layer.querySelectorAll('g.node')) n.classList.toggle('selected', n.getAttribute('data-event-id') === eventId);
    clear(this.details);
    this.details.appendChild(h('p', { class: 'muted' }, 'Loading…'));
    const ev = await api('GET', `${INSPECTOR}/events/${encodeURIComponent(eventId)}`);
    if (this.selected !== eventId) return;
    clear(this.details);
    this.details.appendChild(eventDetails(ev, (id) => this.events.has(id) ? void this.select(id) : undefined));
  }

  /** The whole loaded graph in view. */
  fit(): void {
    const { w, h: hgt } = this.box();
    if (!this.size.w || !this.size.h) return;
    const k = Math.min(2, Math.max(0.05, Math.min(w / this.size.w, hgt / this.size.h)));
    this.view = { k, x: (w - this.size.w * k) / 2, y: Math.max(0, (hgt - this.size.h * k) / 2) };
    this.applyView();
  }

  /** Readable size, the newest events (at the bottom) in view. */
  private showLatest(): void {
    const { w, h: hgt } = this.box();
    if (!this.size.w || !this.size.h) return;
    const k = Math.max(0.2, Math.min(1, w / this.size.w));
    const height = this.size.h * k;
    this.view = { k, x: Math.max(0, (w - this.size.w * k) / 2), y: height <= hgt ? (hgt - height) / 2 : hgt - height };
    this.applyView();
  }

  private box(): { w: number; h: number } {
    const box = this.svg.getBoundingClientRect();
    return { w: box.width || 800, h: box.height || 600 };
  }

  private applyView(): void {
    this.layer.setAttribute('transform', `translate(${this.view.x.toFixed(1)} ${this.view.y.toFixed(1)}) scale(${this.view.k.toFixed(4)})`);
  }

  private enablePanZoom(): void {
    let drag: { x: number; y: number; vx: number; vy: number } | null = null;
    this.svg.addEventListener('pointerdown', (ev) => {
      drag = { x: ev.clientX, y: ev.clientY, vx: this.view.x, vy: this.view.y };
    });
    this.svg.addEventListener('pointermove', (ev) => {
      if (!drag) return;
      if (Math.abs(ev.clientX - drag.x) + Math.abs(ev.clientY - drag.y) > 3) this.userMoved = true;
      this.view.x = drag.vx + ev.clientX - drag.x;
      this.view.y = drag.vy + ev.clientY - drag.y;
      this.applyView();
    });
    const end = () => { drag = null; };
    this.svg.addEventListener('pointerup', end);
    this.svg.addEventListener('pointerleave', end);
    this.svg.addEventListener('wheel', (ev) => {
      ev.preventDefault();
      this.userMoved = true;
      const box = this.svg.getBoundingClientRect();
      const mx = ev.clientX - box.left;
      const my = ev.clientY - box.top;
      const k = Math.min(4, Math.max(0.05, this.view.k * Math.exp(-ev.deltaY * 0.0015)));
      this.view.x = mx - ((mx - this.view.x) * k) / this.view.k;
      this.view.y = my - ((my - this.view.y) * k) / this.view.k;
      this.view.k = k;
      this.applyView();
    }, { passive: false });
  }
}

/** An event in full: flags, rejection, its stored JSON, its state and its auth chain. */
export function eventDetails(ev: any, onPick: (eventId: string) => void): HTMLElement {
  let pretty = true;
  const pre = h('pre', { id: 'event-json' });
  const showJson = () => {
    try {
      pre.textContent = pretty ? JSON.stringify(JSON.parse(ev.json), null, 2) : ev.json;
    } catch {
      pre.textContent = ev.json;
    }
  };
  showJson();
  const toggle = h('button', { class: 'plain', onclick: () => { pretty = !pretty; toggle.textContent = pretty ? 'Show stored bytes' : 'Pretty-print'; showJson(); } },
    'Show stored bytes');
  const flags = h('div', {},
    ev.is_forward_extremity ? h('span', { class: 'badge good' }, 'forward extremity') : null,
    ev.outlier ? h('span', { class: 'badge' }, 'outlier') : null,
    ev.rejected_reason ? h('span', { class: 'badge bad' }, 'rejected') : null,
    ev.redacted_by ? h('span', { class: 'badge' }, 'redacted') : null,
    ev.hash_mismatch ? h('span', { class: 'badge bad' }, 'content hash mismatch (stored redacted)') : null);
  const state = ev.state_before ?? ev.state_after;
  const pick = (id: string) => h('a', { href: '#', class: 'mono', onclick: (e: Event) => { e.preventDefault(); onPick(id); } }, id);
  return h('div', {},
    h('h2', {}, ev.type, ev.state_key !== null ? h('span', { class: 'muted' }, ` [${ev.state_key}]`) : null),
    h('div', { class: 'mono', id: 'event-id' }, ev.event_id),
    h('div', { class: 'muted' }, `sender ${ev.sender} · depth ${ev.depth} · received ${fmtTime(ev.received_ts)}`),
    flags,
    ev.rejected_reason ? h('p', { class: 'error', id: 'event-rejection' }, `Rejected: ${ev.rejected_reason}`) : null,
    h('h3', {}, 'prev_events'), h('div', {}, ...ev.prev_events.flatMap((p: string) => [pick(p), h('br')])),
    h('h3', {}, 'Federation JSON ', toggle), pre,
    h('h3', {}, ev.state_before ? 'Room state at this event (before it)' : ev.state_after ? 'Room state after this event' : 'Room state: not known (outlier)'),
    state ? table(['type', 'state_key', 'content', 'event'], state.map((x: any) => ({
      cells: [x.type, x.state_key, h('code', {}, shorten(JSON.stringify(x.content), 160)), pick(x.event_id)],
      attrs: { 'data-state-type': x.type },
    }))) : null,
    h('h3', {}, `Auth chain (${ev.auth_chain.length})`),
    table(['depth', 'type', 'state_key', 'event'], ev.auth_chain.map((a: any) => ({
      cells: [a.depth ?? '?', a.type ?? 'missing', a.state_key ?? '', pick(a.event_id)],
      attrs: { class: a.rejected_reason ? 'error' : null, 'data-auth-type': a.type },
    }))));
}
