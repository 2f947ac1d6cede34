// The inspector page: log in as an admin, then Rooms, Room graph, Federation, Application services
// and Live views, switched by the URL hash (#/rooms, #/room/!id, #/federation, #/appservices, #/live).
import { api, login, session, liveUrl, ApiError, INSPECTOR } from './api.js';
import { h, clear, fmtTime, table } from './dom.js';
import { RoomGraph } from './graph.js';
import { federationView, appservicesView, type QueueSnapshot } from './queues.js';

const app = document.getElementById('app')!;
const main = h('main', { id: 'view' });
const liveBadge = h('span', { class: 'live', id: 'live-status' });
const liveLog: { ts: number; text: string; kind: string }[] = [];
let queues: QueueSnapshot = { federation: [], appservices: [] };
let currentGraph: RoomGraph | null = null;
let source: EventSource | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | null = null;
/** Kept across live redraws of the Rooms view. */
let roomFilter = '';

const VIEWS = [['rooms', 'Rooms'], ['federation', 'Federation'], ['appservices', 'Application services'], ['live', 'Live']] as const;

function header(): HTMLElement {
  const route = location.hash.replace(/^#\//, '').split('/')[0] || 'rooms';
  return h('header', {},
    h('h1', {}, 'Inspector'),
    h('nav', {}, ...VIEWS.map(([id, label]) => h('button', {
      class: route === id || (id === 'rooms' && route === 'room') ? 'active' : null, 'data-view': id,
      onclick: () => { location.hash = `#/${id}`; },
    }, label))),
    liveBadge,
    h('span', { class: 'who' }, session.userId ?? '', ' ', h('button', { class: 'plain', onclick: logout }, 'Log out')));
}

function logout(): void {
  session.clear();
  source?.close();
  source = null;
  render();
}

function loginForm(message?: string): HTMLElement {
  const user = h('input', { type: 'text', name: 'user', id: 'login-user', placeholder: 'admin user (alice or @alice:server)', autocomplete: 'username' });
  const password = h('input', { type: 'password', name: 'password', id: 'login-password', placeholder: 'password', autocomplete: 'current-password' });
  const error = h('div', { class: 'error', id: 'login-error' }, message ?? '');
  const form = h('form', { class: 'login', id: 'login-form' },
    h('h2', {}, 'Inspector'),
    h('p', { class: 'muted' }, 'Log in as a server admin.'), user, password,
    h('button', { class: 'action', type: 'submit', id: 'login-submit' }, 'Log in'), error);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    error.textContent = '';
    void (async () => {
      try {
        await login(user.value, password.value);
        await api('GET', `${INSPECTOR}/rooms?limit=1`);
        render();
      } catch (e) {
        const forbidden = e instanceof ApiError && e.status === 403;
        if (forbidden) session.clear();
        error.textContent = forbidden ? 'This user is not a server admin.' : `Login failed: ${(e as Error).message}`;
      }
    })();
  });
  return form;
}

function render(): void {
  clear(app);
  if (!session.token) {
    app.appendChild(loginForm());
    return;
  }
  app.appendChild(header());
  app.appendChild(main);
  startLive();
  void show().catch((e) => {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
      session.clear();
      clear(app);
      app.appendChild(loginForm(e.status === 403 ? 'This user is not a server admin.' : 'Your session ended; log in again.'));
      return;
    }
    clear(main);
    main.appendChild(h('p', { class: 'error' }, `Error: ${(e as Error).message}`));
  });
}

async function show(): Promise<void> {
  const [route, ...rest] = location.hash.replace(/^#\//, '').split('/');
  currentGraph = null;
  clear(main);
  main.appendChild(h('p', { class: 'muted' }, 'Loading…'));
  let view: HTMLElement;
  switch (route) {
    case 'room': {
      const graph = new RoomGraph(decodeURIComponent(rest.join('/')));
      clear(main);
      main.appendChild(graph.root);
      currentGraph = graph;
      await graph.load();
      main.setAttribute('data-ready', 'room');
      return;
    }
    case 'federation': view = await federationView(queues); break;
    case 'appservices': view = await appservicesView(queues); break;
    case 'live': view = liveView(); break;
    default: view = await roomsView();
  }
  clear(main);
  main.appendChild(view);
  main.setAttribute('data-ready', route || 'rooms');
}

async function roomsView(): Promise<HTMLElement> {
  const { rooms } = await api<{ rooms: any[] }>('GET', `${INSPECTOR}/rooms`);
  const filter = h('input', { type: 'text', id: 'room-filter', placeholder: 'Filter by id, alias or name', value: roomFilter });
  const body = h('div', {});
  const draw = () => {
    roomFilter = filter.value;
    const q = filter.value.trim().toLowerCase();
    const shown = rooms.filter((r) => !q || [r.room_id, r.name ?? '', r.topic ?? '', ...r.aliases].some((x: string) => x.toLowerCase().includes(q)));
    clear(body);
    body.appendChild(table(['room', 'aliases', 'name', 'members', 'events', 'forward extremities', 'last activity'], shown.map((r) => ({
      cells: [h('code', {}, r.room_id), r.aliases.join(', '), r.name ?? '', r.joined_members, r.event_count,
        h('span', { class: r.forward_extremities.length > 1 ? 'badge bad' : 'badge' }, r.forward_extremities.length), fmtTime(r.last_activity_ts)],
      onclick: () => { location.hash = `#/room/${encodeURIComponent(r.room_id)}`; },
      attrs: { 'data-room-id': r.room_id },
    }))));
    if (shown.length === 0) body.appendChild(h('p', { class: 'muted' }, 'No rooms match.'));
  };
  filter.addEventListener('input', draw);
  draw();
  return h('div', {}, h('div', { class: 'toolbar' }, h('h2', {}, `Rooms (${rooms.length})`), filter), body);
}

function liveView(): HTMLElement {
  const list = h('ul', { class: 'feed', id: 'live-feed' });
  for (const item of [...liveLog].reverse()) list.appendChild(h('li', { 'data-kind': item.kind }, `${fmtTime(item.ts)}  ${item.text}`));
  return h('div', {}, h('h2', {}, 'Live: new events, queue changes and deliveries'),
    liveLog.length ? null : h('p', { class: 'muted' }, 'Waiting for something to happen…'), list);
}

function logLive(kind: string, text: string): void {
  liveLog.push({ ts: Date.now(), text, kind });
  if (liveLog.length > 500) liveLog.shift();
  const list = document.getElementById('live-feed');
  if (list) list.insertBefore(h('li', { 'data-kind': kind }, `${fmtTime(Date.now())}  ${text}`), list.firstChild);
}

function describeQueues(q: QueueSnapshot): string {
  const f = q.federation.map((d) => `${d.destination}: ${d.queue_depth} queued${d.pending_txn_id ? `, txn ${d.pending_txn_id} in flight` : ''}`);
  const a = q.appservices.map((s) => `${s.as_id}: ${s.queue_depth} queued${s.pending_txn_id !== null ? `, txn ${s.pending_txn_id} in flight` : ''}`);
  const all = [...f, ...a];
  return all.length ? `queues: ${all.join('; ')}` : 'queues: all delivered';
}

function startLive(): void {
  if (source || !session.token) return;
  source = new EventSource(liveUrl());
  source.addEventListener('open', () => { liveBadge.textContent = '● live'; });
  source.addEventListener('error', () => { liveBadge.textContent = '○ reconnecting'; });
  source.addEventListener('event', (m) => {
    const e = JSON.parse((m as MessageEvent).data);
    logLive('event', `${e.type}${e.state_key !== null ? ` [${e.state_key}]` : ''} from ${e.sender} in ${e.room_id}` +
      `${e.rejected_reason ? ` (rejected: ${e.rejected_reason})` : ''} ${e.event_id}`);
    if (currentGraph && currentGraph.roomId === e.room_id) scheduleRefresh(() => currentGraph?.refresh());
    else if (main.getAttribute('data-ready') === 'rooms') scheduleRefresh(() => show());
  });
  source.addEventListener('queues', (m) => {
    const before = queues;
    queues = JSON.parse((m as MessageEvent).data);
    logLive('queues', describeQueues(queues));
    for (const d of before.federation) {
      if (!queues.federation.some((x) => x.destination === d.destination && x.queue_depth > 0)) logLive('delivery', `delivered to ${d.destination}`);
    }
    for (const s of before.appservices) {
      if (!queues.appservices.some((x) => x.as_id === s.as_id)) logLive('delivery', `delivered to application service ${s.as_id}`);
    }
    const ready = main.getAttribute('data-ready');
    if (ready === 'federation' || ready === 'appservices') scheduleRefresh(() => show());
  });
}

function scheduleRefresh(fn: () => unknown): void {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    void Promise.resolve(fn()).catch(() => undefined);
  }, 150);
}

window.addEventListener('hashchange', () => {
  main.removeAttribute('data-ready');
  render();
});
render();
