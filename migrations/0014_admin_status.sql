-- Operators' views (issue 14): where each access token was used from, and the recent delivery
-- attempts of every outbound queue (application services and federation destinations).
CREATE TABLE client_ips (
  token_hash TEXT NOT NULL,
  user_id TEXT NOT NULL,
  ip TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  last_seen INTEGER NOT NULL,
  PRIMARY KEY (token_hash, ip, user_agent)
);
CREATE INDEX client_ips_user ON client_ips (user_id);

CREATE TABLE delivery_attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,          -- 'appservice' | 'federation'
  target TEXT NOT NULL,         -- service id or destination server name
  txn_id TEXT NOT NULL,
  ts INTEGER NOT NULL,
  status TEXT NOT NULL,         -- 'delivered' | 'failed'
  detail TEXT,                  -- why it failed, or the peer's answer
  url TEXT,
  body TEXT
);
CREATE INDEX delivery_attempts_target ON delivery_attempts (queue, target, id);
