import type { Db } from './db.js';

export interface StoredPushRule {
  rule_id: string;
  priority: number;
  rule: Record<string, unknown>;
}

/** A user's own push rules and the enabled flags of every rule (theirs and the defaults). */
export class PushRulesStore {
  private readonly selectKind;
  private readonly selectOne;
  private readonly deleteKind;
  private readonly deleteOne;
  private readonly insert;
  private readonly selectEnabled;
  private readonly upsertEnabled;
  private readonly deleteEnabled;
  private readonly replaceKindTxn;

  constructor(db: Db) {
    this.selectKind = db.prepare('SELECT rule_id, priority, rule_json FROM push_rules WHERE user_id = ? AND kind = ? ORDER BY priority DESC');
    this.selectOne = db.prepare('SELECT rule_id, priority, rule_json FROM push_rules WHERE user_id = ? AND kind = ? AND rule_id = ?');
    this.deleteKind = db.prepare('DELETE FROM push_rules WHERE user_id = ? AND kind = ?');
    this.deleteOne = db.prepare('DELETE FROM push_rules WHERE user_id = ? AND kind = ? AND rule_id = ?');
    this.insert = db.prepare('INSERT INTO push_rules (user_id, kind, rule_id, priority, rule_json) VALUES (?, ?, ?, ?, ?)');
    this.selectEnabled = db.prepare('SELECT kind, rule_id, enabled FROM push_rules_enabled WHERE user_id = ?');
    this.upsertEnabled = db.prepare(
      'INSERT INTO push_rules_enabled (user_id, kind, rule_id, enabled) VALUES (?, ?, ?, ?) ' +
        'ON CONFLICT(user_id, kind, rule_id) DO UPDATE SET enabled = excluded.enabled',
    );
    this.deleteEnabled = db.prepare('DELETE FROM push_rules_enabled WHERE user_id = ? AND kind = ? AND rule_id = ?');
    this.replaceKindTxn = db.transaction((userId: string, kind: string, rules: { rule_id: string; rule: unknown }[]) => {
      this.deleteKind.run(userId, kind);
      rules.forEach((r, i) => this.insert.run(userId, kind, r.rule_id, rules.length - i, JSON.stringify(r.rule)));
    });
  }

  /** The user's rules of one kind, first-evaluated first. */
  rules(userId: string, kind: string): StoredPushRule[] {
    return (this.selectKind.all(userId, kind) as { rule_id: string; priority: number; rule_json: string }[]).map(parse);
  }

  rule(userId: string, kind: string, ruleId: string): StoredPushRule | undefined {
    const row = this.selectOne.get(userId, kind, ruleId) as { rule_id: string; priority: number; rule_json: string } | undefined;
    return row && parse(row);
  }

  /** Rewrites the whole ordered list of one kind (lists are short; this keeps priorities dense). */
  replaceKind(userId: string, kind: string, rules: { rule_id: string; rule: unknown }[]): void {
    this.replaceKindTxn(userId, kind, rules);
  }

  deleteRule(userId: string, kind: string, ruleId: string): boolean {
    this.deleteEnabled.run(userId, kind, ruleId);
    return this.deleteOne.run(userId, kind, ruleId).changes > 0;
  }

  /** "kind/rule_id" -> enabled, for the rules whose flag the user has set. */
  enabledFlags(userId: string): Map<string, boolean> {
    const rows = this.selectEnabled.all(userId) as { kind: string; rule_id: string; enabled: number }[];
    return new Map(rows.map((r) => [`${r.kind}/${r.rule_id}`, r.enabled === 1]));
  }

  setEnabled(userId: string, kind: string, ruleId: string, enabled: boolean): void {
    this.upsertEnabled.run(userId, kind, ruleId, enabled ? 1 : 0);
  }
}

function parse(row: { rule_id: string; priority: number; rule_json: string }): StoredPushRule {
  return { rule_id: row.rule_id, priority: row.priority, rule: JSON.parse(row.rule_json) };
}
