-- pgopt monitor history. Time-series tables are partitioned by day (samples_hourly by month) and pruned by
-- dropping whole partitions, so retention never runs DELETE over months of 15-second samples.

CREATE TABLE samples (
  target text NOT NULL,
  metric text NOT NULL,
  ts timestamptz NOT NULL,
  value double precision NOT NULL
) PARTITION BY RANGE (ts);
CREATE INDEX samples_target_metric_ts ON samples (target, metric, ts);

CREATE TABLE samples_hourly (
  target text NOT NULL,
  metric text NOT NULL,
  ts timestamptz NOT NULL,
  avg double precision NOT NULL,
  min double precision NOT NULL,
  max double precision NOT NULL,
  count integer NOT NULL,
  PRIMARY KEY (target, metric, ts)
) PARTITION BY RANGE (ts);

CREATE TABLE statement_stats (
  target text NOT NULL,
  ts timestamptz NOT NULL,
  window_seconds double precision NOT NULL,
  queryid bigint NOT NULL,
  userid bigint NOT NULL,
  dbid bigint NOT NULL,
  toplevel boolean NOT NULL,
  calls bigint NOT NULL,
  total_ms double precision NOT NULL,
  rows bigint NOT NULL,
  shared_blks_hit bigint NOT NULL,
  shared_blks_read bigint NOT NULL,
  temp_blks bigint NOT NULL,
  wal_bytes bigint NOT NULL
) PARTITION BY RANGE (ts);
CREATE INDEX statement_stats_target_query_ts ON statement_stats (target, queryid, ts);
CREATE INDEX statement_stats_target_ts ON statement_stats (target, ts);

CREATE TABLE statement_texts (
  target text NOT NULL,
  queryid bigint NOT NULL,
  query text NOT NULL,
  role text,
  first_seen timestamptz NOT NULL,
  last_seen timestamptz NOT NULL,
  PRIMARY KEY (target, queryid)
);

CREATE TABLE table_stats (
  target text NOT NULL,
  ts timestamptz NOT NULL,
  schema_name text NOT NULL,
  table_name text NOT NULL,
  live_tuples bigint NOT NULL,
  dead_tuples bigint NOT NULL,
  bytes bigint NOT NULL,
  seq_scan bigint NOT NULL,
  idx_scan bigint NOT NULL
) PARTITION BY RANGE (ts);
CREATE INDEX table_stats_target_table_ts ON table_stats (target, schema_name, table_name, ts);

-- Small state that must survive a restart: the last pg_stat_statements snapshot (deltas resume from it).
CREATE TABLE collector_state (
  target text NOT NULL,
  key text NOT NULL,
  value text NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (target, key)
);

CREATE TABLE alert_events (
  id text PRIMARY KEY,
  target text NOT NULL,
  rule text NOT NULL,
  severity text NOT NULL,
  value double precision,
  threshold double precision,
  message text NOT NULL,
  started_at timestamptz NOT NULL,
  resolved_at timestamptz
);
CREATE INDEX alert_events_open ON alert_events (target, rule) WHERE resolved_at IS NULL;
CREATE INDEX alert_events_started ON alert_events (started_at);

CREATE TABLE incidents (
  id text PRIMARY KEY,
  target text NOT NULL,
  kind text NOT NULL,
  severity text NOT NULL,
  subject text NOT NULL,
  details text NOT NULL,
  detected_at timestamptz NOT NULL,
  resolved_at timestamptz
);
CREATE INDEX incidents_detected ON incidents (detected_at);

CREATE TABLE incident_actions (
  id bigserial PRIMARY KEY,
  incident_id text NOT NULL,
  target text NOT NULL,
  at timestamptz NOT NULL,
  action text NOT NULL,
  pid integer,
  role text,
  application text,
  dry_run boolean NOT NULL,
  outcome text NOT NULL,
  detail text NOT NULL
);

CREATE TABLE maintenance_runs (
  id bigserial PRIMARY KEY,
  task text NOT NULL,
  target text NOT NULL,
  scheduled_for timestamptz NOT NULL,
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  status text NOT NULL,
  summary text NOT NULL DEFAULT '',
  instance text NOT NULL,
  UNIQUE (task, target, scheduled_for)
);

CREATE TABLE api_audit (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL,
  token text NOT NULL,
  remote text NOT NULL,
  method text NOT NULL,
  path text NOT NULL,
  status integer NOT NULL,
  detail text NOT NULL
);
