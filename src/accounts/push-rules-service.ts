import type { Storage } from '../storage/index.js';
import type { JsonObject } from '../events/index.js';
import { MatrixError, notFound, unrecognized } from '../errors.js';
import { defaultPushRules, PREPENDED_DEFAULT_RULES, PUSH_RULE_KINDS, type PushRuleKind } from './push-rules.js';

const SIMPLE_ACTIONS = new Set(['notify', 'dont_notify', 'coalesce']);
const MAX_RULE_ID_LENGTH = 255;
const MAX_RULES_PER_KIND = 500;
/** A stored rule is bounded like an event (65,536 bytes): it is served on every client start. */
const MAX_RULE_BYTES = 65536;

function checkRuleSize(rule: JsonObject): void {
  if (Buffer.byteLength(JSON.stringify(rule), 'utf8') > MAX_RULE_BYTES) throw new MatrixError(400, 'M_TOO_LARGE', 'Push rule too large');
}

export interface RulePosition {
  before?: string;
  after?: string;
}

/**
 * A user's push rules as Synapse 0.10 served them: the default set with the user's own rules
 * merged in (override: master, then theirs, then the other defaults; other kinds: theirs first),
 * and enabled flags that apply to both.
 */
export class PushRuleService {
  constructor(private readonly storage: Storage) {}

  /** GET /pushrules/ */
  all(userId: string): { global: Record<PushRuleKind, JsonObject[]>; device: JsonObject } {
    const defaults = defaultPushRules(userId).global;
    const flags = this.storage.pushRules.enabledFlags(userId);
    const global = {} as Record<PushRuleKind, JsonObject[]>;
    for (const kind of PUSH_RULE_KINDS) {
      const own = this.storage.pushRules.rules(userId, kind).map((r) => ({ rule_id: r.rule_id, ...r.rule, default: false, enabled: true }));
      const first = defaults[kind].filter((r) => PREPENDED_DEFAULT_RULES.has(r.rule_id as string));
      const last = defaults[kind].filter((r) => !PREPENDED_DEFAULT_RULES.has(r.rule_id as string));
      global[kind] = [...first, ...own, ...last].map((r) => {
        const flag = flags.get(`${kind}/${r.rule_id}`);
        return flag === undefined ? r : { ...r, enabled: flag };
      });
    }
    return { global, device: {} };
  }

  /** GET /pushrules/global/ */
  scope(userId: string, scope: string): Record<PushRuleKind, JsonObject[]> {
    checkKind(scope, 'override');
    return this.all(userId).global;
  }

  /** GET /pushrules/global/{kind}/ */
  kind(userId: string, scope: string, kind: string): JsonObject[] {
    return this.all(userId).global[checkKind(scope, kind)];
  }

  /** GET /pushrules/global/{kind}/{ruleId}[/enabled|/actions] */
  get(userId: string, scope: string, kind: string, ruleId: string, attr?: string): JsonObject {
    const rule = this.find(userId, scope, kind, ruleId);
    if (attr === undefined) return rule;
    if (attr === 'enabled') return { enabled: rule.enabled };
    if (attr === 'actions') return { actions: rule.actions };
    throw unrecognized(`Unrecognised push rule attribute ${attr}`, 400);
  }

  /** PUT /pushrules/global/{kind}/{ruleId}?before=&after= — adds or replaces one of the user's rules. */
  put(userId: string, scope: string, kind: string, ruleId: string, body: unknown, pos: RulePosition): void {
    const k = checkKind(scope, kind);
    if (ruleId.startsWith('.')) throw new MatrixError(400, 'M_UNKNOWN', "Cannot add new rule_ids that start with '.'");
    if (ruleId.length === 0 || ruleId.length > MAX_RULE_ID_LENGTH) throw new MatrixError(400, 'M_INVALID_PARAM', 'Invalid rule_id');
    const rule = parseRule(k, body);
    checkRuleSize(rule);
    const others = this.storage.pushRules.rules(userId, k).filter((r) => r.rule_id !== ruleId);
    if (others.length >= MAX_RULES_PER_KIND) throw new MatrixError(400, 'M_TOO_LARGE', `At most ${MAX_RULES_PER_KIND} ${k} rules`);
    let at = 0;
    const anchor = pos.before ?? pos.after;
    if (anchor !== undefined) {
      const i = others.findIndex((r) => r.rule_id === anchor);
      if (i < 0) throw new MatrixError(400, 'M_UNKNOWN', `before/after rule ${anchor} not found`);
      at = pos.before !== undefined ? i : i + 1;
    }
    others.splice(at, 0, { rule_id: ruleId, priority: 0, rule });
    this.storage.pushRules.replaceKind(userId, k, others);
  }

  /** PUT /pushrules/global/{kind}/{ruleId}/enabled (true, false or {"enabled": bool}) and /actions. */
  setAttribute(userId: string, scope: string, kind: string, ruleId: string, attr: string, body: unknown): void {
    const rule = this.find(userId, scope, kind, ruleId);
    const k = kind as PushRuleKind;
    if (attr === 'enabled') {
      const value = body !== null && typeof body === 'object' ? (body as JsonObject).enabled : body;
      if (typeof value !== 'boolean') throw new MatrixError(400, 'M_BAD_JSON', "'enabled' must be true or false");
      this.storage.pushRules.setEnabled(userId, k, ruleId, value);
    } else if (attr === 'actions') {
      if (rule.default) throw new MatrixError(400, 'M_UNKNOWN', 'The actions of a default rule cannot be changed');
      const own = this.storage.pushRules.rules(userId, k);
      const actions = parseActions((body as JsonObject | null)?.actions);
      checkRuleSize({ ...rule, actions });
      this.storage.pushRules.replaceKind(userId, k, own.map((r) => (r.rule_id === ruleId ? { ...r, rule: { ...r.rule, actions } } : r)));
    } else {
      throw unrecognized(`Unrecognised push rule attribute ${attr}`, 400);
    }
  }

  /** DELETE /pushrules/global/{kind}/{ruleId} — the user's own rules only. */
  delete(userId: string, scope: string, kind: string, ruleId: string): void {
    if (!this.storage.pushRules.deleteRule(userId, checkKind(scope, kind), ruleId)) throw notFound('Push rule not found');
  }

  private find(userId: string, scope: string, kind: string, ruleId: string): JsonObject {
    const rule = this.kind(userId, scope, kind).find((r) => r.rule_id === ruleId);
    if (!rule) throw notFound('Push rule not found');
    return rule;
  }
}

function checkKind(scope: string, kind: string): PushRuleKind {
  if (scope !== 'global') throw unrecognized('Only the global push rule scope is supported', 400);
  if (!(PUSH_RULE_KINDS as readonly string[]).includes(kind)) throw unrecognized(`Unknown push rule kind ${kind}`, 400);
  return kind as PushRuleKind;
}

/** The stored form of a rule: what its kind needs, as Synapse 0.10's templates took it. */
function parseRule(kind: PushRuleKind, body: unknown): JsonObject {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new MatrixError(400, 'M_NOT_JSON', 'Rule must be an object');
  const b = body as JsonObject;
  const actions = parseActions(b.actions);
  if (kind === 'content') {
    if (typeof b.pattern !== 'string') throw new MatrixError(400, 'M_MISSING_PARAM', "Content rule missing 'pattern'");
    return { pattern: b.pattern, actions };
  }
  if (kind === 'override' || kind === 'underride') {
    const conditions = b.conditions;
    if (!Array.isArray(conditions) || !conditions.every((c) => c !== null && typeof c === 'object' && typeof (c as JsonObject).kind === 'string')) {
      throw new MatrixError(400, 'M_MISSING_PARAM', "Rule needs 'conditions', a list of objects with a 'kind'");
    }
    return { conditions, actions };
  }
  return { actions };
}

function parseActions(actions: unknown): unknown[] {
  if (!Array.isArray(actions)) throw new MatrixError(400, 'M_MISSING_PARAM', "Rule needs 'actions'");
  for (const a of actions) {
    const ok = typeof a === 'string' ? SIMPLE_ACTIONS.has(a) : a !== null && typeof a === 'object' && typeof (a as JsonObject).set_tweak === 'string';
    if (!ok) throw new MatrixError(400, 'M_UNKNOWN', `Unrecognised action ${JSON.stringify(a)}`);
  }
  return actions;
}
