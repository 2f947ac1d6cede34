-- 0002: push rules a user added or changed. The server's default rules are computed, not stored.

-- One row per user rule; within (user, kind) a higher priority is evaluated first.
CREATE TABLE push_rules (
  user_id    TEXT NOT NULL,
  kind       TEXT NOT NULL,     -- override, content, room, sender, underride
  rule_id    TEXT NOT NULL,
  priority   INTEGER NOT NULL,
  rule_json  TEXT NOT NULL,     -- {conditions?, pattern?, actions} as the client gave them
  PRIMARY KEY (user_id, kind, rule_id)
);

-- Enabled flags, for the user's own rules and for the default ones (".m.rule.master" starts off).
CREATE TABLE push_rules_enabled (
  user_id   TEXT NOT NULL,
  kind      TEXT NOT NULL,
  rule_id   TEXT NOT NULL,
  enabled   INTEGER NOT NULL,
  PRIMARY KEY (user_id, kind, rule_id)
);
