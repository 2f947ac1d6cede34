// The admin endpoints the page reads; the access token lives in sessionStorage.
const V1 = '/_matrix/client/api/v1';
export const INSPECTOR = `${V1}/admin/inspector`;
const TOKEN_KEY = 'inspector.access_token';
const USER_KEY = 'inspector.user_id';

export class ApiError extends Error {
  constructor(readonly status: number, readonly errcode: string, message: string) {
    super(message);
  }
}

export const session = {
  get token(): string | null { return sessionStorage.getItem(TOKEN_KEY); },
  get userId(): string | null { return sessionStorage.getItem(USER_KEY); },
  save(token: string, userId: string) {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(USER_KEY, userId);
  },
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(USER_KEY);
  },
};

export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (session.token) headers.authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path.startsWith('/') ? path : `${V1}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let data: any;
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    data = {};
  }
  if (!res.ok) throw new ApiError(res.status, data.errcode ?? 'M_UNKNOWN', data.error ?? res.statusText);
  return data as T;
}

export async function login(user: string, password: string): Promise<void> {
  const res = await api<{ access_token: string; user_id: string }>('POST', `${V1}/login`, { type: 'm.login.password', user, password });
  session.save(res.access_token, res.user_id);
}

export function liveUrl(): string {
  return `${INSPECTOR}/live?access_token=${encodeURIComponent(session.token ?? '')}`;
}
