// The console page: renders what /api/events sends (local/console/view.ts, ConsoleView) every second.
// Plain DOM, no framework, no build step; every text goes in through textContent.

const SVG = 'http://www.w3.org/2000/svg';
const RANGES = {
  hour: { past: 10 * 60_000, future: 60 * 60_000, tick: 10 * 60_000 },
  day: { past: 60 * 60_000, future: 24 * 60 * 60_000, tick: 3 * 60 * 60_000 },
};
const ON_TIME_MS = 1000;
const LANE_HEIGHT = 26;
const LABEL_WIDTH = 170;

let range = 'hour';
let last;

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) if (child !== undefined && child !== null) el.append(child);
  return el;
}

function s(tag, attrs = {}) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'text') el.textContent = value;
    else el.setAttribute(key, String(value));
  }
  return el;
}

const pad = (n, width = 2) => String(n).padStart(width, '0');
function clock(ms, withMs = false) {
  if (ms === undefined || ms === null) return '–';
  const d = new Date(ms);
  const base = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return withMs ? `${base}.${pad(d.getMilliseconds(), 3)}` : base;
}
function dayClock(ms) {
  if (ms === undefined || ms === null) return '–';
  const d = new Date(ms);
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  return sameDay ? clock(ms) : `${d.getMonth() + 1}/${d.getDate()} ${clock(ms)}`;
}
function duration(ms) {
  const abs = Math.abs(ms);
  const sign = ms < 0 ? '−' : '';
  if (abs < 1000) return `${sign}${Math.round(abs)} ms`;
  if (abs < 60_000) return `${sign}${(abs / 1000).toFixed(abs < 10_000 ? 2 : 1)} s`;
  if (abs < 3_600_000) return `${sign}${Math.floor(abs / 60_000)} min ${pad(Math.floor((abs % 60_000) / 1000))} s`;
  return `${sign}${Math.floor(abs / 3_600_000)} h ${pad(Math.floor((abs % 3_600_000) / 60_000))} min`;
}
const lagClass = (ms) => (ms === undefined ? '' : ms <= ON_TIME_MS ? 'ok' : 'late');
const KIND_LABEL = {
  alarm: 'alarm',
  'demo-expiry': 'demo expiry',
  'absence-run': 'absence run',
  job: 'job',
  schedule: 'schedule',
};
const tag = (kind) => h('span', { class: `tag ${kind}`, text: KIND_LABEL[kind] ?? kind });
const shortToken = (t) => (t && t.length > 14 ? `${t.slice(0, 6)}…${t.slice(-4)}` : (t ?? ''));

function fill(table, rows, empty, columns) {
  const body = document.querySelector(`#${table} tbody`);
  body.replaceChildren(
    ...(rows.length > 0 ? rows : [h('tr', { class: 'empty' }, h('td', { colspan: columns, text: empty }))]),
  );
}

// ---- Timeline ---------------------------------------------------------------------------------------------

function laneOf(entry, which) {
  if (which === 'schedule') return `schedules · ${entry.group}`;
  if (entry.kind === 'alarm') return 'alarms due';
  if (entry.kind === 'demo-expiry') return 'demo accounts expire';
  if (entry.kind === 'absence-run') return 'absence runs';
  if (entry.kind === 'job') return 'jobs due';
  return `schedules · ${entry.group ?? (entry.id.split(':')[1] ?? '').split('/')[0]}`;
}

function renderTimeline(view) {
  const svg = document.getElementById('timeline');
  const width = svg.clientWidth || 1200;
  const { past, future, tick } = RANGES[range];
  const from = view.now - past;
  const to = view.now + future;
  const x = (t) => LABEL_WIDTH + ((t - from) / (to - from)) * (width - LABEL_WIDTH - 12);
  const inRange = (t) => t !== undefined && t >= from && t <= to;

  const lanes = ['alarms due', 'demo accounts expire', 'absence runs', 'jobs due'];
  for (const group of view.groups) lanes.push(`schedules · ${group}`);
  const laneY = (lane) => 28 + lanes.indexOf(lane) * LANE_HEIGHT + LANE_HEIGHT / 2;
  const height = 28 + lanes.length * LANE_HEIGHT + 8;
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('height', String(height));
  const parts = [];

  parts.push(s('rect', { class: 'past', x: x(from), y: 20, width: x(view.now) - x(from), height: height - 24 }));
  for (const lane of lanes) {
    const y = laneY(lane);
    parts.push(s('line', { class: 'lane', x1: LABEL_WIDTH, x2: width - 12, y1: y, y2: y }));
    parts.push(s('text', { class: 'lane-label', x: 4, y: y + 4, text: lane }));
  }
  for (let t = Math.ceil(from / tick) * tick; t <= to; t += tick) {
    parts.push(s('line', { class: 'grid', x1: x(t), x2: x(t), y1: 18, y2: height - 4 }));
    const d = new Date(t);
    parts.push(s('text', { class: 'tick', x: x(t) - 14, y: 12, text: `${pad(d.getHours())}:${pad(d.getMinutes())}` }));
  }
  parts.push(s('line', { class: 'now', x1: x(view.now), x2: x(view.now), y1: 16, y2: height - 4 }));
  parts.push(s('text', { class: 'now-label', x: x(view.now) + 4, y: height - 8, text: 'now' }));

  const dot = (t, lane, cls, title) => {
    if (!inRange(t) || !lanes.includes(lane)) return;
    const c = s('circle', { cx: x(t), cy: laneY(lane), r: 5, class: cls });
    c.append(s('title', { text: title }));
    parts.push(c);
  };

  for (const e of view.upcoming) {
    const what = `${KIND_LABEL[e.kind]} ${e.label}`;
    if (e.scheduleAt !== undefined && e.dueAt !== undefined && inRange(e.scheduleAt) && inRange(e.dueAt)) {
      parts.push(
        s('line', {
          class: 'link',
          x1: x(e.scheduleAt),
          y1: laneY(laneOf(e, 'schedule')),
          x2: x(e.dueAt),
          y2: laneY(laneOf(e, 'due')),
        }),
      );
    }
    for (const t of e.occurrences ?? (e.scheduleAt === undefined ? [] : [e.scheduleAt])) {
      dot(t, laneOf(e, 'schedule'), 'sched', `${what}: schedule fires ${dayClock(t)} (${e.expression ?? ''})`);
    }
    if (e.dueAt !== undefined) dot(e.dueAt, laneOf(e, 'due'), 'due', `${what}: due ${dayClock(e.dueAt)}`);
  }
  for (const f of view.fired) {
    const lag = f.lagMs === undefined ? '' : `, ${f.exact ? '' : '~'}${duration(f.lagMs)} late`;
    dot(
      f.firedAt,
      laneOf(f, 'due'),
      `fired ${lagClass(f.lagMs) || 'ok'}`,
      `${f.label}: done ${clock(f.firedAt)}${lag}`,
    );
  }
  svg.replaceChildren(...parts);
}

// ---- Tables -----------------------------------------------------------------------------------------------

function renderUpcoming(view) {
  document.getElementById('upcoming-count').textContent = `${view.upcoming.length} in the next day`;
  const rows = view.upcoming.map((e) => {
    const next = Math.min(e.dueAt ?? Number.POSITIVE_INFINITY, e.scheduleAt ?? Number.POSITIVE_INFINITY);
    return h(
      'tr',
      { 'data-id': e.id, 'data-kind': e.kind },
      h('td', { title: e.expression ? `${e.label} · ${e.expression}` : e.label, text: e.label }),
      h('td', {}, tag(e.kind)),
      h('td', { class: 'schedule-at mono', title: e.group ? `group ${e.group}` : '', text: dayClock(e.scheduleAt) }),
      h('td', { class: `due-at mono${e.overdue ? ' overdue' : ''}`, text: dayClock(e.dueAt) }),
      h('td', { class: 'num', text: next - view.now > 0 ? duration(next - view.now) : 'now' }),
    );
  });
  fill('upcoming', rows, 'Nothing scheduled in the next day. Book an alarm: POST /alarms.', 5);
}

function renderFired(view) {
  document.getElementById('fired-count').textContent = `${view.fired.length}`;
  const rows = view.fired.map((f) =>
    h(
      'tr',
      { 'data-id': f.id, 'data-kind': f.kind },
      h('td', { title: f.label, text: f.label }),
      h('td', {}, tag(f.kind)),
      h('td', { class: 'mono', text: dayClock(f.dueAt) }),
      h('td', { class: 'mono', text: clock(f.firedAt, f.exact) }),
      h('td', {
        class: `num lag ${lagClass(f.lagMs)}`,
        title: f.exact ? '' : 'noticed by the console; includes its refresh interval',
        text: f.lagMs === undefined ? '–' : `${f.exact ? '' : '~'}${duration(f.lagMs)}`,
      }),
      h('td', { class: `st-${f.status}`, text: f.status }),
    ),
  );
  fill('fired', rows, 'Nothing has fired yet.', 6);
}

function renderLag(view) {
  const { lag } = view;
  const stat = (label, value) => h('div', {}, h('b', { text: value }), h('span', { text: label }));
  document
    .getElementById('lag-stats')
    .replaceChildren(
      stat('alarms sent', String(lag.count)),
      stat('p50', lag.p50Ms === undefined ? '–' : duration(lag.p50Ms)),
      stat('p99', lag.p99Ms === undefined ? '–' : duration(lag.p99Ms)),
      stat('max', lag.maxMs === undefined ? '–' : duration(lag.maxMs)),
    );
  const max = Math.max(1, ...lag.bins.map((b) => b.count));
  document
    .getElementById('histogram')
    .replaceChildren(
      ...lag.bins.map((b, i) =>
        h(
          'div',
          { class: `bar${i >= 4 ? ' late' : ''}`, title: `${b.title}: ${b.count}` },
          h('span', { class: 'n', text: b.count > 0 ? String(b.count) : '' }),
          h('div', { class: 'fill', style: `height:${(b.count / max) * 80}%` }),
          h('span', { class: 'label', text: b.label }),
        ),
      ),
    );
}

function renderPushes(view) {
  document.getElementById('pushes-count').textContent = `${view.pushes.total}`;
  const rows = view.pushes.items.map((p) =>
    h(
      'tr',
      { 'data-alarm-id': p.alarmId ?? '' },
      h('td', { class: 'mono', text: clock(p.time, true) }),
      h('td', { class: 'mono', title: p.deviceToken, text: shortToken(p.deviceToken) }),
      h('td', { title: p.title, text: p.title }),
      h('td', { class: `num lag ${lagClass(p.lagMs)}`, text: p.lagMs === undefined ? '–' : duration(p.lagMs) }),
    ),
  );
  fill('pushes', rows, 'No push yet. Pushes the FCM stand-in receives show here.', 4);
}

function renderWebhooks(view) {
  document.getElementById('webhooks-count').textContent = `${view.webhookCalls.total}`;
  const rows = view.webhookCalls.items.map((c) =>
    h(
      'tr',
      {},
      h('td', { class: 'mono', text: clock(Date.parse(c.time), true) }),
      h('td', { title: c.url, text: c.url }),
      h('td', { class: `st-${c.status}`, text: c.status }),
      h('td', { class: 'num', text: String(c.attempt) }),
    ),
  );
  fill('webhooks', rows, 'No webhook calls yet. Webhook job runs (POST /jobs) will show here.', 4);
}

function renderQueues(view) {
  const button = (dlq, depth) =>
    h('button', {
      type: 'button',
      class: 'move',
      'data-move-back': dlq,
      disabled: depth === 0,
      title: `Move the messages of ${dlq} back to where they belong`,
      text: 'Move back',
    });
  const rows = view.queues.map((q) =>
    h(
      'tr',
      { 'data-queue': q.name },
      h('td', { class: 'mono', text: q.name }),
      h('td', { class: 'num depth', text: String(q.visible) }),
      h('td', { class: 'num', text: String(q.inFlight) }),
      h('td', { class: 'num', text: String(q.delayed) }),
      h('td', {
        class: `num dlq-depth${q.deadLetter?.depth ? ' dlq-full' : ''}`,
        title: q.deadLetter?.name ?? '',
        text: q.deadLetter ? String(q.deadLetter.depth) : '–',
      }),
      h('td', {}, q.deadLetter ? button(q.deadLetter.name, q.deadLetter.depth) : undefined),
    ),
  );
  for (const d of view.otherDeadLetterQueues) {
    rows.push(
      h(
        'tr',
        { 'data-queue': d.name },
        h('td', { class: 'mono', title: "the Scheduler's dead-letter queue", text: d.name }),
        h('td', { class: 'num', text: '' }),
        h('td', { class: 'num', text: '' }),
        h('td', { class: 'num', text: '' }),
        h('td', { class: `num dlq-depth${d.depth ? ' dlq-full' : ''}`, text: String(d.depth) }),
        h('td', {}, button(d.name, d.depth)),
      ),
    );
  }
  fill('queues', rows, 'No queues.', 6);
}

function renderRuns(view) {
  const rows = view.runs.map((r) => {
    const share = r.expectedChunks > 0 ? r.doneChunks / r.expectedChunks : r.status === 'DONE' ? 1 : 0;
    return h(
      'tr',
      { 'data-run': r.runId },
      h('td', { class: 'mono', title: `run ${r.runId}, started ${dayClock(r.createdAt)}`, text: r.runId.slice(-6) }),
      h('td', { text: r.trigger }),
      h('td', { class: `st-${r.status}`, text: r.status }),
      h('td', { class: 'mono', text: dayClock(r.at) }),
      h(
        'td',
        { title: `${r.doneChunks} of ${r.planned ? r.expectedChunks : '?'} chunks, ${r.weeks} week(s)` },
        h('span', { class: 'progress' }, h('i', { style: `width:${Math.round(share * 100)}%` })),
        `${r.doneChunks}/${r.planned ? r.expectedChunks : '?'}`,
      ),
      h('td', { class: 'num', text: String(r.weeks) }),
      h('td', { class: 'num', text: String(r.absences) }),
    );
  });
  fill(
    'runs',
    rows,
    'No absence run yet. The nightly one runs at 00:00 Asia/Seoul; POST /admin/absence-runs starts one.',
    7,
  );
}

function renderAccounts(view) {
  const { accounts } = view;
  const stat = (label, value) => h('div', {}, h('b', { text: String(value) }), h('span', { text: label }));
  document
    .getElementById('account-stats')
    .replaceChildren(
      stat('accounts', accounts.total),
      stat('demo', accounts.demo),
      stat('pending alarms', accounts.pendingAlarms),
    );
  const rows = accounts.items.map((a) =>
    h(
      'tr',
      { 'data-account': a.accountId },
      h('td', { title: a.accountId, text: a.nickname }),
      h('td', { text: a.demo ? 'demo' : 'full' }),
      h('td', { class: 'num', text: String(a.score) }),
      h('td', { class: 'num', text: String(a.pendingAlarms) }),
      h('td', { class: 'mono', text: a.expiresAt ? dayClock(a.expiresAt) : '–' }),
    ),
  );
  fill('accounts', rows, 'No accounts yet. POST /demo-accounts makes one.', 5);
}

function render(view) {
  last = view;
  document.getElementById('updated').textContent = `live · ${clock(view.now)}`;
  const errors = document.getElementById('errors');
  errors.hidden = view.errors.length === 0;
  errors.textContent = view.errors.join(' · ');
  renderTimeline(view);
  renderUpcoming(view);
  renderFired(view);
  renderLag(view);
  renderPushes(view);
  renderWebhooks(view);
  renderQueues(view);
  renderRuns(view);
  renderAccounts(view);
}

// ---- Wiring -----------------------------------------------------------------------------------------------

for (const button of document.querySelectorAll('[data-range]')) {
  button.addEventListener('click', () => {
    range = button.dataset.range;
    for (const b of document.querySelectorAll('[data-range]')) b.classList.toggle('on', b === button);
    if (last) renderTimeline(last);
  });
}

document.getElementById('queues').addEventListener('click', async (event) => {
  const button = event.target.closest('[data-move-back]');
  if (!button) return;
  const dlq = button.dataset.moveBack;
  button.disabled = true;
  const result = document.getElementById('redrive-result');
  result.textContent = `Moving the messages of ${dlq} back…`;
  try {
    const res = await fetch(`/api/queues/${encodeURIComponent(dlq)}/move-back`, {
      method: 'POST',
      headers: { 'x-console': '1' },
    });
    const body = await res.json();
    result.textContent = res.ok
      ? `${body.queue}: ${body.moved} message(s) moved back (${body.method})${body.left ? `, ${body.left} left` : ''}`
      : `${dlq}: ${body.error}`;
  } catch (error) {
    result.textContent = `${dlq}: ${error.message}`;
  }
});

window.addEventListener('resize', () => last && renderTimeline(last));

const events = new EventSource('/api/events');
events.onmessage = (message) => {
  document.getElementById('status').classList.add('live');
  render(JSON.parse(message.data));
};
events.onerror = () => {
  document.getElementById('status').classList.remove('live');
  document.getElementById('updated').textContent = 'reconnecting…';
};
