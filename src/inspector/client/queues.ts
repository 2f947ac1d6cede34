// Federation and application-service views: one row per destination / service from the admin API,
// "retry now", recent transactions (expandable to their bodies), and inbound transactions per origin.
import { api, ApiError, INSPECTOR } from './api.js';
import { h, fmtTime, table } from './dom.js';

const V1 = '/_matrix/client/api/v1';

export interface QueueSnapshot {
  federation: { destination: string; pending_txn_id: string | null; queue_depth: number }[];
  appservices: { as_id: string; queue_depth: number; pending_txn_id: number | null }[];
}

/** The first field present among names (the admin API's field names, read defensively). */
function pick(o: any, ...names: string[]): any {
  for (const n of names) if (o && o[n] !== undefined && o[n] !== null) return o[n];
  return null;
}

async function optional<T>(path: string): Promise<T | null> {
  try {
    return await api<T>('GET', path);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }
}

function retryButton(label: string, path: string, testId: string): HTMLElement {
  const result = h('span', { class: 'muted' });
  const btn = h('button', { class: 'action', 'data-retry': testId, onclick: () => {
    btn.disabled = true;
    void api('POST', path, {}).then(() => { result.textContent = ' retrying…'; }, (e) => { result.textContent = ` ${(e as Error).message}`; })
      .finally(() => { btn.disabled = false; });
  } }, label);
  return h('span', {}, btn, result);
}

/** Expanded transactions stay expanded when a live update redraws the view. */
const expanded = new Set<string>();

function txnList(txns: any[], idPrefix: string): HTMLElement {
  if (!txns.length) return h('p', { class: 'muted' }, 'No transactions recorded.');
  return h('div', {}, ...txns.map((t) => {
    const id = String(pick(t, 'txn_id', 'txnId', 'id'));
    const status = String(pick(t, 'status', 'outcome', 'state') ?? '');
    const err = pick(t, 'error', 'last_error');
    const body = pick(t, 'body');
    const ok = /deliver|ok|success|sent|acked/i.test(status);
    const key = `${idPrefix}${id}`;
    const el = h('details', { class: 'txn', 'data-txn-id': key, 'data-status': status, open: expanded.has(key),
      ontoggle: () => { if (el.open) expanded.add(key); else expanded.delete(key); } },
      h('summary', {}, h('code', {}, `txn ${id}`), ' ', h('span', { class: ok ? 'badge good' : 'badge bad' }, status || '?'),
        ' ', fmtTime(pick(t, 'ts', 'sent_ts', 'last_attempt_ts', 'created_ts')), ' ',
        pick(t, 'events', 'event_count', 'pdus') !== null ? `${pick(t, 'event_count') ?? (pick(t, 'events', 'pdus') as any[])?.length ?? ''} events ` : '',
        err ? h('span', { class: 'error' }, String(err)) : null),
      h('pre', {}, body === null ? '(body not kept)' : typeof body === 'string' ? body : JSON.stringify(body, null, 2)));
    return el;
  }));
}

export async function federationView(snapshot: QueueSnapshot): Promise<HTMLElement> {
  const status = await optional<any>(`${V1}/admin/federation/destinations`);
  const list: any[] = status ? (Array.isArray(status) ? status : pick(status, 'destinations') ?? []) : snapshot.federation;
  const inbound = await api<{ transactions: any[] }>('GET', `${INSPECTOR}/federation/inbound?limit=50`);
  const rows = list.map((d) => {
    const name = String(pick(d, 'destination', 'server_name', 'server'));
    return {
      cells: [h('code', {}, name), pick(d, 'queue_depth', 'queued') ?? 0, h('code', {}, pick(d, 'in_flight_txn_id', 'pending_txn_id', 'txn_id') ?? '—'),
        h('span', { class: 'error' }, String(pick(d, 'last_error') ?? '')), fmtTime(pick(d, 'next_retry_ts', 'retry_at_ts')),
        retryButton('Retry now', `${INSPECTOR}/federation/destinations/${encodeURIComponent(name)}/retry`, name)],
      attrs: { 'data-destination': name },
    };
  });
  const details = status ? await Promise.all(list.map(async (d) => {
    const name = String(pick(d, 'destination', 'server_name', 'server'));
    const one = await optional<any>(`${V1}/admin/federation/destinations/${encodeURIComponent(name)}?bodies=true`);
    return h('div', {}, h('h3', {}, `Last transactions to ${name}`), txnList(pick(one, 'transactions', 'recent_transactions') ?? [], `${name}:`));
  })) : [h('p', { class: 'muted' }, 'Per-destination history needs the admin API (/admin/federation/destinations).')];
  return h('div', { id: 'federation-view' },
    h('h2', {}, 'Outbound: one queue per destination'),
    list.length ? table(['destination', 'queue depth', 'in-flight txnId', 'last error', 'next retry', ''], rows) : h('p', { class: 'muted' }, 'No destinations yet.'),
    ...details,
    h('h2', {}, 'Inbound: last transactions per origin'),
    inbound.transactions.length ? null : h('p', { class: 'muted' }, 'No inbound transactions yet.'),
    ...byOrigin(inbound.transactions).map(([origin, txns]) => h('div', { 'data-origin': origin },
      h('h3', {}, 'From ', h('code', {}, origin)),
      table(['txnId', 'received', 'PDUs'], txns.map((t) => ({
        cells: [h('code', {}, t.txn_id), fmtTime(t.received_ts),
          h('div', {}, ...t.pdus.map((p: any) => h('div', { 'data-pdu': p.event_id, 'data-accepted': p.accepted ? 'true' : 'false' },
            h('span', { class: p.accepted ? 'badge good' : 'badge bad' }, p.accepted ? 'accepted' : 'rejected'), ' ',
            h('code', {}, p.event_id), ` ${p.type ?? ''}`, p.reason ? h('span', { class: 'error' }, ` — ${p.reason}`) : null)),
          t.pdus.length ? null : h('span', { class: 'muted' }, 'EDUs only'))],
      }))))));
}

function byOrigin(txns: any[]): [string, any[]][] {
  const groups = new Map<string, any[]>();
  for (const t of txns) groups.set(t.origin, [...(groups.get(t.origin) ?? []), t]);
  return [...groups];
}

export async function appservicesView(snapshot: QueueSnapshot): Promise<HTMLElement> {
  const status = await optional<any>(`${V1}/admin/appservices`);
  const list: any[] = status ? (Array.isArray(status) ? status : pick(status, 'appservices', 'services') ?? [])
    : snapshot.appservices.map((s) => ({ id: s.as_id, queue_depth: s.queue_depth, in_flight_txn_id: s.pending_txn_id }));
  const sections = await Promise.all(list.map(async (svc) => {
    const id = String(pick(svc, 'id', 'as_id'));
    const one = status ? await optional<any>(`${V1}/admin/appservices/${encodeURIComponent(id)}?bodies=true`) : null;
    const d = one ?? svc;
    const ns = pick(d, 'namespaces');
    return h('section', { 'data-appservice': id },
      h('h2', {}, 'Application service ', h('code', {}, id)),
      table(['url', 'namespaces', 'queue depth', 'in-flight txnId', 'last error', 'next retry', ''], [{
        cells: [h('code', {}, String(pick(d, 'url') ?? '')), h('code', {}, ns ? JSON.stringify(ns) : ''),
          pick(d, 'queue_depth', 'queued') ?? 0, h('code', { 'data-field': 'in-flight' }, String(pick(d, 'in_flight_txn_id', 'pending_txn_id') ?? '—')),
          h('span', { class: 'error', 'data-field': 'last-error' }, String(pick(d, 'last_error') ?? '')), fmtTime(pick(d, 'next_retry_ts')),
          retryButton('Retry now', `${V1}/admin/appservices/${encodeURIComponent(id)}/retry`, id)],
      }]),
      h('h3', {}, 'Last transactions'),
      txnList(pick(d, 'transactions', 'recent_transactions') ?? [], `${id}:`));
  }));
  return h('div', { id: 'appservices-view' },
    list.length ? null : h('p', { class: 'muted' }, 'No application services registered.'), ...sections);
}
