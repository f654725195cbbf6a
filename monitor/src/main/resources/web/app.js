// pgopt monitor dashboard: plain JavaScript over the JSON API, charts by uPlot (served from its WebJar).
// Every value from the database is inserted as text, never as HTML.
(function () {
  'use strict';
  const state = { target: null, targets: [], range: '1h', queriesType: 'usage', timer: null };
  const main = document.getElementById('main');

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') el.className = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (v !== null && v !== undefined) el.setAttribute(k, v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  async function api(path, options) {
    const token = sessionStorage.getItem('pgopt.token');
    const headers = Object.assign({}, options && options.headers, token ? { Authorization: 'Bearer ' + token } : {});
    const res = await fetch(path, Object.assign({}, options, { headers }));
    if (res.status === 401) { throw { auth: true, message: 'a token is needed' }; }
    const body = await res.json().catch(() => ({}));
    if (!res.ok) { throw { message: body.error || ('HTTP ' + res.status) }; }
    return body;
  }

  const fmt = {
    num(v, d = 1) { return v === null || v === undefined || Number.isNaN(v) ? '–' : Number(v).toLocaleString('en', { maximumFractionDigits: d }); },
    pct(v) { return v === null || v === undefined ? '–' : fmt.num(v, 1) + ' %'; },
    ms(v) { return v === null || v === undefined ? '–' : v >= 1000 ? fmt.num(v / 1000, 2) + ' s' : fmt.num(v, v < 10 ? 2 : 0) + ' ms'; },
    bytes(v) {
      if (v === null || v === undefined) return '–';
      const u = ['B', 'kB', 'MB', 'GB', 'TB']; let i = 0; let x = v;
      while (x >= 1024 && i < u.length - 1) { x /= 1024; i++; }
      return fmt.num(x, x < 10 ? 1 : 0) + ' ' + u[i];
    },
    secs(v) { return v === null || v === undefined ? '–' : v < 60 ? fmt.num(v, 1) + ' s' : v < 3600 ? fmt.num(v / 60, 1) + ' min' : fmt.num(v / 3600, 1) + ' h'; },
    time(t) { return t ? new Date(t).toLocaleString() : '–'; },
    // the monitor reports 1e9 s for "no backup" / "no passed drill"
    age(v) { return v === null || v === undefined ? '–' : v >= 1e9 ? 'none' : v >= 172800 ? fmt.num(v / 86400, 1) + ' days' : fmt.secs(v); },
  };

  function badge(kind, text) { return h('span', { class: 'badge ' + kind }, text || kind); }
  function empty(text) { return h('div', { class: 'empty' }, text); }
  function table(head, rows, numeric) {
    return h('table', {}, h('thead', {}, h('tr', {}, head.map((c, i) => h('th', { class: numeric && numeric.includes(i) ? 'num' : '' }, c)))),
      h('tbody', {}, rows.map(r => h('tr', {}, r.map((c, i) => h('td', { class: numeric && numeric.includes(i) ? 'num' : '' }, c))))));
  }

  function chart(title, points, unitFmt) {
    const box = h('div', { class: 'card chart' }, h('h4', {}, title));
    if (!points || points.length === 0) { box.append(empty('no history yet')); return box; }
    const xs = points.map(p => p[0]); const ys = points.map(p => p[1]);
    const holder = h('div', {});
    box.append(holder);
    requestAnimationFrame(() => {
      const width = Math.max(300, holder.clientWidth || 400);
      const to = Date.now() / 1000, from = to - rangeSeconds(state.range);
      new uPlot({ width, height: 170, legend: { show: false }, cursor: { y: false },
        scales: { x: { time: true, range: () => [from, to] }, y: { range: (u, min, max) => [Math.min(0, min), max > 0 ? max * 1.15 : 1] } },
        axes: [{}, { values: (u, vals) => vals.map(unitFmt), size: 70 }],
        series: [{}, { stroke: '#2f6fde', fill: 'rgba(47,111,222,.08)', width: 1.5 }] }, [xs, ys], holder);
    });
    return box;
  }

  function rangeSeconds(r) {
    const n = parseInt(r, 10);
    return r.endsWith('d') ? n * 86400 : r.endsWith('h') ? n * 3600 : n * 60;
  }

  function sparkline(points) {
    const w = 120, hgt = 28;
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('class', 'spark'); svg.setAttribute('width', w); svg.setAttribute('height', hgt);
    if (!points || points.length < 2) { return svg; }
    const ys = points.map(p => p.value !== undefined ? p.value : p[1]);
    const max = Math.max(...ys), min = Math.min(...ys), span = max - min || 1;
    const d = ys.map((y, i) => (i ? 'L' : 'M') + (i * (w - 2) / (ys.length - 1) + 1).toFixed(1) + ' ' + (hgt - 2 - (y - min) / span * (hgt - 4)).toFixed(1)).join(' ');
    const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    path.setAttribute('d', d); path.setAttribute('fill', 'none'); path.setAttribute('stroke', '#2f6fde'); path.setAttribute('stroke-width', '1.5');
    svg.append(path);
    return svg;
  }

  function rangeBar(onChange) {
    return h('div', { class: 'toolbar' }, 'Range', ['1h', '6h', '24h', '7d', '30d'].map(r =>
      h('button', { class: state.range === r ? 'on' : '', onclick: () => { state.range = r; onChange(); } }, r)));
  }

  function findingsTable(findings) {
    if (!findings || findings.length === 0) return empty('No findings.');
    return table(['Severity', 'Finding', 'Proof', 'Action'], findings.map(f => [
      badge(f.severity), h('div', {}, f.title, h('div', { class: 'muted' }, f.rule)),
      h('div', { class: 'proof' }, proof(f.evidence)), f.sql ? h('code', { class: 'sql' }, f.sql) : '–']));
  }

  function proof(evidence) {
    if (!evidence) return '';
    if (Array.isArray(evidence.statements) && evidence.statements.length) {
      // what-if proof: the plan cost of each affected statement without and with the index (HypoPG)
      return h('div', {}, evidence.statements.slice(0, 3).map(st => h('div', {},
        (st.cost_before && st.cost_after !== undefined
          ? 'cost ' + fmt.num(st.cost_before, 0) + ' → ' + fmt.num(st.cost_after, 0) + ' (' + fmt.num(100 * (1 - st.cost_after / st.cost_before), 0) + ' % less) · '
          : '')
          + fmt.num(st.calls_per_hour, 0) + ' calls/h · mean ' + fmt.ms(st.mean_exec_ms),
        h('div', { class: 'sql' }, st.query || ''))),
        evidence.what_if_plans ? h('div', { class: 'muted' }, evidence.what_if_plans + ' what-if plans') : null);
    }
    const parts = [];
    for (const [k, v] of Object.entries(evidence)) {
      if (v === null || typeof v === 'object') continue;
      parts.push(k.replace(/_/g, ' ') + ': ' + (typeof v === 'number' ? fmt.num(v, 2) : v));
      if (parts.length >= 6) break;
    }
    return parts.join(' · ');
  }

  /** Above this many targets the overview is a table, not a card each. */
  const FLEET_ROWS = 12;

  const pages = {
    async overview() {
      const targets = await api('/api/targets');
      state.targets = targets;
      const cards = targets.map(t => {
        const v = t.values || {};
        return h('div', { class: 'card', 'data-target': t.name },
          h('h3', {}, t.name, t.up ? (t.alerts_firing > 0 ? badge('warning', t.alerts_firing + ' alert(s)') : badge('ok', 'up')) : badge('down', 'down')),
          t.up ? null : h('div', { class: 'error' }, t.last_error || 'unreachable'),
          h('div', { class: 'kpis' },
            kpi('Connections', fmt.num(v.connections, 0) + ' (' + fmt.pct(v.connection_usage_percent) + ')'),
            kpi('TPS', fmt.num(v.transactions_per_second, 1)),
            kpi('Cache hit', fmt.pct(v.cache_hit_percent)),
            kpi('Replication lag', v.replication_lag_seconds === undefined ? 'no replicas' : fmt.secs(v.replication_lag_seconds)),
            kpi('Avg query', fmt.ms(v.avg_query_ms)),
            kpi('Database', fmt.bytes(v.database_bytes))),
          h('div', { class: 'muted' }, t.database));
      });
      const charts = h('div', { class: 'charts' });
      const draw = async () => {
        charts.replaceChildren();
        const series = [['connections', 'Connections', x => fmt.num(x, 0)], ['transactions_per_second', 'Transactions per second', x => fmt.num(x, 0)],
          ['cache_hit_percent', 'Cache hit %', x => fmt.num(x, 1)], ['avg_query_ms', 'Average query time (ms)', x => fmt.num(x, 1)],
          ['replication_lag_seconds', 'Replication lag (s)', x => fmt.num(x, 1)], ['slow_queries_per_minute', 'Slow queries per minute', x => fmt.num(x, 1)]];
        for (const [metric, title, f] of series) {
          const hist = await api('/api/targets/' + state.target + '/history?metric=' + metric + '&range=' + state.range).catch(() => ({ points: [] }));
          charts.append(chart(title, hist.points, f));
        }
      };
      const bar = rangeBar(() => pages.overview().then(render));
      await draw();
      // a fleet: one row per target, the ones needing attention first (down, then alerts, then the worst finding)
      const rank = { critical: 0, warning: 1, info: 2 };
      const fleet = targets.length > FLEET_ROWS ? h('div', { class: 'fleet' }, table(['Target', 'State', 'Alerts', 'Worst finding', 'Connections', 'TPS', 'Database'],
        [...targets].sort((a, b) => (a.up - b.up) || (b.alerts_firing - a.alerts_firing)
            || ((a.worst_finding ? rank[a.worst_finding.severity] : 3) - (b.worst_finding ? rank[b.worst_finding.severity] : 3)) || a.name.localeCompare(b.name))
          .map(t => [t.name, t.up ? badge('ok', 'up') : badge('down', 'down'), fmt.num(t.alerts_firing, 0),
            t.worst_finding ? h('span', {}, badge(t.worst_finding.severity), ' ' + t.worst_finding.title + (t.worst_finding.findings > 1 ? ' (+' + (t.worst_finding.findings - 1) + ')' : ''))
              : (t.up ? 'none yet' : h('span', { class: 'error' }, t.last_error || 'unreachable')),
            fmt.num((t.values || {}).connections, 0), fmt.num((t.values || {}).transactions_per_second, 1), fmt.bytes((t.values || {}).database_bytes)]),
        [2, 4, 5, 6])) : h('div', { class: 'grid' }, cards);
      return [h('h1', {}, 'Overview'), fleet, h('h2', {}, 'History of ' + state.target), bar, charts];
    },

    async queries() {
      const data = await api('/api/targets/' + state.target + '/queries?type=' + state.queriesType + '&limit=25&range=' + state.range);
      const ids = data.queries.map(q => q.queryid);
      const spark = ids.length ? await api('/api/targets/' + state.target + '/queries/history?ids=' + ids.join(',') + '&range=' + state.range).catch(() => ({ series: {} })) : { series: {} };
      const bar = h('div', { class: 'toolbar' }, [['usage', 'Most time'], ['slow', 'Slowest per call']].map(([k, l]) =>
        h('button', { class: state.queriesType === k ? 'on' : '', onclick: () => { state.queriesType = k; go(); } }, l)));
      const rows = data.queries.map(q => [sparkline(spark.series[q.queryid]), fmt.num(q.calls, 0), fmt.ms(q.total_ms), fmt.ms(q.mean_ms),
        fmt.pct(q.hit_percent), h('div', {}, h('div', { class: 'sql' }, q.query || '(text not kept)'), h('div', { class: 'muted' }, 'queryid ' + q.queryid + (q.role ? ' · ' + q.role : '')))]);
      return [h('h1', {}, 'Queries'), bar, rangeBar(go), data.queries.length ? table(['Trend (mean)', 'Calls', 'Total', 'Mean', 'Cache hit', 'Statement'], rows, [1, 2, 3, 4])
        : empty('No statements recorded in this range yet (pg_stat_statements windows close every statements interval).')];
    },

    async indexes() {
      const [unused, findings] = await Promise.all([
        api('/api/targets/' + state.target + '/queries?type=unused&limit=50').catch(e => ({ error: e.message, indexes: [] })),
        api('/api/targets/' + state.target + '/findings')]);
      const index = (findings.findings || []).filter(f => (f.rule || '').startsWith('index.'))
        .map(f => ({ severity: f.severity, title: f.title, rule: f.rule, evidence: f.evidence, sql: f.action ? f.action.sql : null }));
      return [h('h1', {}, 'Indexes'),
        h('h2', {}, 'Missing and problem indexes (with what-if or measured proof)'),
        findings.status === 'pending' ? empty('Findings are computed shortly after start.') : findingsTable(index),
        h('h2', {}, 'Unused indexes'),
        unused.error ? h('div', { class: 'error' }, unused.error) : unused.indexes.length === 0 ? empty('No unused indexes.')
          : table(['Index', 'Table', 'Size', 'Scans', 'Proof'], unused.indexes.map(i => [h('code', {}, i.schema + '.' + i.name), i.table, fmt.bytes(i.bytes), fmt.num(i.scans, 0),
            h('span', { class: 'proof' }, 'no index scans since statistics were reset; not unique, not a constraint')]), [2, 3])];
    },

    async vacuum() {
      const data = await api('/api/targets/' + state.target + '/tables?limit=30');
      const rows = data.tables.map(t => [h('code', {}, t.schema + '.' + t.name), fmt.num(t.live_tuples, 0), fmt.num(t.dead_tuples, 0), fmt.pct(t.dead_percent),
        fmt.bytes(t.bytes), fmt.num(t.modified_since_analyze, 0), fmt.time(t.last_vacuum), fmt.time(t.last_analyze)]);
      return [h('h1', {}, 'Vacuum & bloat'), h('h2', {}, 'Findings'), findingsTable(data.findings), h('h2', {}, 'Tables by dead tuples'),
        rows.length ? table(['Table', 'Live', 'Dead', 'Dead %', 'Size', 'Changed since analyze', 'Last vacuum', 'Last analyze'], rows, [1, 2, 3, 4, 5]) : empty('No tables.')];
    },

    async vector() {
      const data = await api('/api/targets/' + state.target + '/vector');
      if (!data.installed) return [h('h1', {}, 'Vector search'), empty('pgvector is not installed in this database.')];
      const inv = data.inventory || {};
      const cols = (inv.columns || []).map(c => [h('code', {}, c.schema + '.' + c.table + '.' + c.column), c.type, fmt.num(c.dimensions, 0), fmt.num(c.rows, 0)]);
      const idx = (inv.indexes || []).map(i => [h('code', {}, i.name), i.method, i.opclass || '–', fmt.bytes(i.size_bytes), i.valid === false ? badge('critical', 'invalid') : badge('ok', 'valid')]);
      const hist = await api('/api/targets/' + state.target + '/history?metric=vector_search_ms&range=' + state.range).catch(() => ({ points: [] }));
      return [h('h1', {}, 'Vector search'),
        h('div', { class: 'grid' }, h('div', { class: 'card' }, h('div', { class: 'kpis' }, kpi('Mean vector search', fmt.ms(data.vector_search_ms)),
          kpi('Vector columns', fmt.num(cols.length, 0)), kpi('Vector indexes', fmt.num(idx.length, 0))))),
        h('div', { class: 'charts' }, chart('Mean vector search time (ms)', hist.points, x => fmt.num(x, 1))),
        h('h2', {}, 'Findings'), findingsTable(data.findings),
        h('h2', {}, 'Columns'), cols.length ? table(['Column', 'Type', 'Dimensions', 'Rows'], cols, [2, 3]) : empty('No vector columns.'),
        h('h2', {}, 'Indexes'), idx.length ? table(['Index', 'Method', 'Operator class', 'Size', 'State'], idx, [3]) : empty('No vector indexes.')];
    },

    async backups() {
      const data = await api('/api/targets/' + state.target + '/backups');
      if (!data.configured) return [h('h1', {}, 'Backups'), empty('This target has no backup section: add backup: {repo: DIR} to it in the monitor configuration (docs/backup.md).')];
      const v = data.values || {};
      const drilled = v.drill_passed === undefined ? badge('warning', 'never drilled') : v.drill_passed === 1 ? badge('ok', 'last drill passed') : badge('critical', 'last drill failed');
      const backupRows = data.backups.map(b => [h('code', {}, b.id), b.kind, fmt.time(b.started_at), fmt.secs((new Date(b.finished_at) - new Date(b.started_at)) / 1000),
        fmt.time(b.restorable_at), fmt.bytes(b.bytes)]);
      const drillRows = data.drills.map(d => [d.passed ? badge('ok', 'passed') : badge('critical', 'failed'), fmt.time(d.started_at), h('code', {}, d.backup_id),
        fmt.secs(d.rto_seconds), fmt.secs(d.rpo_seconds), h('div', {}, (d.failed || []).map(f => h('div', { class: 'proof' }, f)))]);
      const runRows = data.runs.map(r => {
        let summary = {};
        try { summary = JSON.parse(r.summary || '{}') || {}; } catch (e) { summary = {}; }
        return [badge(r.status === 'succeeded' ? 'ok' : r.status === 'running' ? 'warning' : 'critical', r.status), r.task, fmt.time(r.scheduled_for),
          fmt.time(r.finished_at), summary.error || (summary.failed_checks && summary.failed_checks.length ? summary.failed_checks.map(c => c.check).join(', ') : (summary.id || summary.label || summary.backup || ''))];
      });
      return [h('h1', {}, 'Backups'),
        h('div', { class: 'grid' }, h('div', { class: 'card', id: 'backup-state' }, h('h3', {}, data.mode + ' backups', drilled),
          h('div', { class: 'kpis' }, kpi('Newest backup, age', fmt.age(v.backup_age_seconds)), kpi('Size', fmt.bytes(v.backup_bytes)),
            kpi('Last passed drill, age', fmt.age(v.drill_age_seconds)), kpi('RTO', fmt.secs(v.drill_rto_seconds))),
          h('div', { class: 'muted' }, data.repo + ' · ' + (Object.keys(data.schedules).length ? Object.entries(data.schedules).map(([k, c]) => k + ' ' + c).join(' · ') : 'not scheduled')))),
        (data.problems || []).map(p => h('div', { class: 'error' }, p)),
        h('h2', {}, 'Restore drills'), drillRows.length ? table(['Result', 'Started', 'Backup', 'RTO', 'RPO', 'Failed checks'], drillRows, [3, 4]) : empty('No drill recorded: run pgopt backup drill, or schedule maintenance.restore_drill.'),
        h('h2', {}, 'Backups'), backupRows.length ? table(['Backup', 'Kind', 'Started', 'Took', 'Holds commits up to', 'Size'], backupRows, [3, 5]) : empty('No backup in the repository yet.'),
        h('h2', {}, 'Scheduled and manual runs'), runRows.length ? table(['Status', 'Task', 'Scheduled for', 'Finished', 'Outcome'], runRows) : empty('No backup or drill run recorded by the monitor.')];
    },

    async pooler() {
      const data = await api('/api/targets/' + state.target + '/pooler');
      if (!data.configured) return [h('h1', {}, 'Pooler'), empty('This target has no pgbouncer section: add pgbouncer: {admin_url: postgres://user@host:6432/pgbouncer} to it in the monitor configuration (docs/pooler.md).')];
      const v = data.values || {};
      const up = v.pgbouncer_up === 1 ? badge('ok', 'answering') : badge('critical', 'not answering');
      const rows = (data.pools || []).map(p => [p.database, p.user, fmt.num(p.clients_active, 0),
        p.clients_waiting > 0 ? badge('warning', String(p.clients_waiting)) : '0', fmt.num(p.servers_active, 0) + ' / ' + fmt.num(p.pool_size, 0),
        fmt.num(p.servers_idle, 0), fmt.secs(p.maxwait_seconds), p.pool_mode]);
      return [h('h1', {}, 'Pooler'),
        h('div', { class: 'grid' }, h('div', { class: 'card', id: 'pooler-state' }, h('h3', {}, (data.version || 'PgBouncer') + ' · ' + (data.pool_mode || '?') + ' mode', up),
          h('div', { class: 'kpis' }, kpi('Clients waiting', fmt.num(v.pgbouncer_clients_waiting, 0)), kpi('Longest wait', fmt.secs(v.pgbouncer_maxwait_seconds)),
            kpi('Fullest pool', fmt.num(v.pgbouncer_saturation_percent, 0) + ' %'), kpi('Server connections', fmt.num(v.pgbouncer_server_connections, 0))),
          h('div', { class: 'muted' }, data.read_at ? 'read ' + fmt.time(data.read_at) : 'not read yet'))),
        data.error ? [h('div', { class: 'error' }, data.error)] : [],
        h('h2', {}, 'Pools'), rows.length ? table(['Database', 'User', 'Clients', 'Waiting', 'Busy / size', 'Idle', 'Longest wait', 'Mode'], rows, [2, 5, 6]) : empty('No pool open: pools appear when the first client of a database and user connects.')];
    },

    async alerts() {
      const [firing, all, incidents] = await Promise.all([api('/api/alerts'), api('/api/alerts?state=all').catch(() => ({ alerts: [] })), api('/api/incidents')]);
      const firingRows = firing.alerts.map(a => [badge(a.severity), a.rule, a.target, fmt.num(a.value, 2), fmt.time(a.since)]);
      const historyRows = all.alerts.slice(0, 30).map(a => [badge(a.resolved_at ? 'ok' : a.severity, a.resolved_at ? 'resolved' : a.severity), a.rule, a.target, a.message, fmt.time(a.started_at), fmt.time(a.resolved_at)]);
      const incidentRows = incidents.recent.slice(0, 30).map(i => [badge(i.resolved_at ? 'ok' : i.severity, i.resolved_at ? 'resolved' : i.severity), i.kind, i.target,
        h('div', {}, i.subject, i.details ? h('div', { class: 'sql' }, i.details) : null), h('div', {}, (i.actions || []).map(a =>
          h('div', { class: 'proof' }, fmt.time(a.at) + ' · ' + a.action + ' pid ' + (a.pid || '–') + ' → ' + a.outcome + (a.dry_run ? ' (dry run)' : '') + ' · ' + a.detail))), fmt.time(i.detected_at)]);
      return [h('h1', {}, 'Alerts & incidents'),
        h('h2', {}, 'Firing now'), firingRows.length ? table(['Severity', 'Rule', 'Target', 'Value', 'Since'], firingRows, [3]) : empty('No alerts firing.'),
        h('h2', {}, 'Open incidents'), incidents.open.length ? table(['Kind', 'Target', 'Subject', 'Detected'], incidents.open.map(i => [i.kind, i.target, i.subject, fmt.time(i.detected_at)])) : empty('No open incidents.'),
        h('h2', {}, 'Recent incidents and actions'), incidentRows.length ? table(['State', 'Kind', 'Target', 'Subject', 'Actions', 'Detected'], incidentRows) : empty('No incidents recorded.'),
        h('h2', {}, 'Alert history'), historyRows.length ? table(['State', 'Rule', 'Target', 'Message', 'Started', 'Resolved'], historyRows) : empty('No alerts recorded.')];
    },
  };

  function kpi(label, value) { return h('div', { class: 'kpi' }, h('div', { class: 'v' }, value), h('div', { class: 'l' }, label)); }

  function tokenForm(message) {
    const input = h('input', { type: 'password', placeholder: 'read or admin token', autocomplete: 'off' });
    return h('form', { class: 'token card', onsubmit: e => { e.preventDefault(); sessionStorage.setItem('pgopt.token', input.value.trim()); go(); } },
      h('h3', {}, 'Sign in'), h('div', { class: 'muted' }, message), input, h('button', { type: 'submit' }, 'Open dashboard'));
  }

  function render(nodes) { main.replaceChildren(...[nodes].flat()); }

  async function go() {
    const page = (location.hash.replace(/^#\//, '') || 'overview').split('?')[0];
    document.querySelectorAll('#nav a').forEach(a => a.classList.toggle('active', a.dataset.page === page));
    try {
      if (!state.targets.length) {
        state.targets = await api('/api/targets');
        const sel = document.getElementById('target');
        sel.replaceChildren(...state.targets.map(t => h('option', { value: t.name }, t.name)));
        state.target = state.target || (state.targets[0] && state.targets[0].name);
        sel.value = state.target;
        sel.onchange = () => { state.target = sel.value; go(); };
      }
      render(await (pages[page] || pages.overview)());
      document.body.dataset.loaded = page;
    } catch (e) {
      render(e.auth ? tokenForm('This monitor needs a token to read.') : h('div', { class: 'error' }, e.message || String(e)));
    }
    clearTimeout(state.timer);
    state.timer = setTimeout(go, 15000);
  }

  window.addEventListener('hashchange', go);
  go();
})();
