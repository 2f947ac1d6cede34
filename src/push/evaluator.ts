// Push rule evaluation (Synapse 0.12's push_rule_evaluator): pure, over a client-format event.
import type { JsonObject } from '../events/index.js';
import { PUSH_RULE_KINDS, type PushRuleKind } from '../accounts/push-rules.js';

export interface EvalContext {
  userId: string;
  displayname: string | null;
  memberCount: number;
}

function valueAt(ev: JsonObject, path: string): unknown {
  let cur: unknown = ev;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as JsonObject)[part];
  }
  return cur;
}

function escapeRe(s: string): string {
  return s.replace(/[.+^${}()|[\]\\]/g, '\\$&');
}

/** A glob (* and ?) as a case-insensitive regex; against content.body it matches whole words. */
function globRe(pattern: string, words: boolean): RegExp {
  const body = escapeRe(pattern.slice(0, 500)).replace(/\*/g, '.*?').replace(/\?/g, '.');
  return words ? new RegExp(`(^|\\W)${body}(\\W|$)`, 'i') : new RegExp(`^${body}$`, 'i');
}

function eventMatch(ev: JsonObject, key: unknown, pattern: unknown): boolean {
  if (typeof key !== 'string' || typeof pattern !== 'string') return false;
  const v = valueAt(ev, key);
  return typeof v === 'string' && globRe(pattern, key === 'content.body').test(v);
}

function memberCount(is: unknown, n: number): boolean {
  const m = typeof is === 'string' ? /^(==|<=|>=|<|>)?(\d{1,9})$/.exec(is) : null;
  if (!m) return false;
  const want = Number(m[2]);
  switch (m[1] ?? '==') {
    case '<': return n < want;
    case '>': return n > want;
    case '<=': return n <= want;
    case '>=': return n >= want;
    default: return n === want;
  }
}

function condition(c: unknown, ev: JsonObject, ctx: EvalContext): boolean {
  if (typeof c !== 'object' || c === null) return false;
  const k = c as JsonObject;
  switch (k.kind) {
    case 'event_match': return eventMatch(ev, k.key, k.pattern);
    case 'contains_display_name': {
      const body = valueAt(ev, 'content.body');
      return !!ctx.displayname && typeof body === 'string' && globRe(ctx.displayname, true).test(body);
    }
    case 'room_member_count': return memberCount(k.is, ctx.memberCount);
    default: return false; // unknown conditions (device, ...) never match
  }
}

function ruleMatches(kind: PushRuleKind, rule: JsonObject, ev: JsonObject, ctx: EvalContext): boolean {
  if (kind === 'content') return typeof rule.pattern === 'string' && eventMatch(ev, 'content.body', rule.pattern);
  if (kind === 'room') return ev.room_id === rule.rule_id;
  if (kind === 'sender') return ev.sender === rule.rule_id;
  const conditions = Array.isArray(rule.conditions) ? rule.conditions : [];
  return conditions.every((c) => condition(c, ev, ctx));
}

/** The actions of the first enabled rule that matches, or [] when none does. */
export function evaluate(rules: Record<PushRuleKind, JsonObject[]>, ev: JsonObject, ctx: EvalContext): unknown[] {
  for (const kind of PUSH_RULE_KINDS) {
    for (const rule of rules[kind] ?? []) {
      if (rule.enabled === false) continue;
      if (ruleMatches(kind, rule, ev, ctx)) return Array.isArray(rule.actions) ? rule.actions : [];
    }
  }
  return [];
}

/** Tweaks (sound, highlight) of a rule's actions, and whether it notifies at all. */
export function notifyTweaks(actions: unknown[]): { notify: boolean; tweaks: JsonObject } {
  const tweaks: JsonObject = Object.create(null);
  let notify = false;
  for (const a of actions) {
    if (a === 'notify' || a === 'coalesce') notify = true;
    else if (typeof a === 'object' && a !== null && typeof (a as JsonObject).set_tweak === 'string') {
      const t = a as JsonObject;
      tweaks[t.set_tweak as string] = t.value === undefined ? true : t.value;
    }
  }
  return { notify, tweaks };
}
