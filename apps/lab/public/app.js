// The lab dashboard: drives the reference endpoint through the lab's HTTP API and draws what the
// lab's event stream reports (SIP ladder, transfer state, what each party hears, call records).

const $ = (id) => document.getElementById(id);
const PARTY_ORDER = ['endpoint', 'trunk', 'customer', 'target'];
const PARTY_LABEL = {
  endpoint: 'Endpoint (agent)',
  trunk: 'Mock trunk',
  customer: 'Customer',
  target: 'Transfer target',
};

const state = { callId: undefined, messages: new Map(), hearing: new Map(), lab: undefined };

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text();
  if (!res.ok) throw new Error(data?.error ?? `${res.status} ${res.statusText}`);
  return data;
}

function setTransferState(text, tone) {
  const el = $('transfer-state');
  el.textContent = text;
  el.className = `state ${tone ?? ''}`;
}

function renderTargets(targets) {
  const list = $('targets');
  list.replaceChildren(
    ...targets.map((t) => {
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.target = t.id;
      button.disabled = state.callId === undefined;
      button.innerHTML = `${t.label}<br><span class="hint"></span>`;
      button.querySelector('.hint').textContent = t.referTo;
      button.addEventListener('click', () => transfer(t.id));
      li.append(button);
      return li;
    }),
  );
}

function setCallActive(active) {
  $('hangup').disabled = !active;
  for (const b of document.querySelectorAll('#targets button')) b.disabled = !active;
  $('start-call').disabled = active;
}

async function startCall() {
  setTransferState('Calling the customer...');
  try {
    // The lab answers once the customer has answered (or fails with the reason).
    const { callId } = await api('POST', '/api/calls', {});
    selectCall(callId);
    setCallActive(true);
    setTransferState('Connected to the customer');
  } catch (err) {
    setTransferState(`Call failed: ${err.message}`, 'failed');
  }
}

async function transfer(target) {
  if (!state.callId) return;
  setTransferState('Transferring...');
  try {
    await api('POST', `/api/calls/${encodeURIComponent(state.callId)}/transfer`, { target });
  } catch (err) {
    setTransferState(`Failed: ${err.message}`, 'failed');
  }
}

async function hangup() {
  if (!state.callId) return;
  await api('POST', `/api/calls/${encodeURIComponent(state.callId)}/hangup`).catch(() => {});
}

function selectCall(callId) {
  state.callId = callId;
  $('ladder-call').textContent = callId ? `(${callId})` : '';
  drawLadder();
}

function drawLadder() {
  const messages = state.messages.get(state.callId) ?? [];
  const parties = PARTY_ORDER.filter(
    (p) => p === 'endpoint' || p === 'trunk' || messages.some((m) => m.from === p || m.to === p),
  );
  const width = 900;
  const col = width / parties.length;
  const rowH = 24;
  const height = 50 + messages.length * rowH + 20;
  const x = (p) => col * parties.indexOf(p) + col / 2;
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'SIP ladder diagram');
  svg.innerHTML = `<defs><marker id="arrowhead" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#57606a"/></marker></defs>`;
  for (const p of parties) {
    const label = document.createElementNS(ns, 'text');
    label.setAttribute('x', x(p));
    label.setAttribute('y', 18);
    label.setAttribute('text-anchor', 'middle');
    label.setAttribute('class', 'party');
    label.textContent = PARTY_LABEL[p];
    const line = document.createElementNS(ns, 'line');
    line.setAttribute('class', 'lifeline');
    line.setAttribute('x1', x(p));
    line.setAttribute('x2', x(p));
    line.setAttribute('y1', 28);
    line.setAttribute('y2', height - 10);
    svg.append(label, line);
  }
  messages.forEach((m, i) => {
    if (!parties.includes(m.from) || !parties.includes(m.to)) return;
    const y = 50 + i * rowH;
    const line = document.createElementNS(ns, 'line');
    const kind = m.status === undefined ? '' : m.status >= 300 ? ' error' : ' response';
    line.setAttribute('class', `arrow${kind}`);
    line.setAttribute('x1', x(m.from));
    line.setAttribute('x2', x(m.to));
    line.setAttribute('y1', y);
    line.setAttribute('y2', y);
    const text = document.createElementNS(ns, 'text');
    text.setAttribute('x', (x(m.from) + x(m.to)) / 2);
    text.setAttribute('y', y - 4);
    text.setAttribute('text-anchor', 'middle');
    text.textContent = m.label;
    svg.append(line, text);
  });
  $('ladder').replaceChildren(svg);
}

function renderHearing() {
  const rows = [...state.hearing.entries()].map(([party, what]) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.textContent = PARTY_LABEL[party] ?? party;
    const td = document.createElement('td');
    td.textContent = what;
    td.dataset.party = party;
    tr.append(th, td);
    return tr;
  });
  $('media-rows').replaceChildren(...rows);
}

async function refreshRecords() {
  const { calls } = await api('GET', '/api/calls');
  $('record-rows').replaceChildren(
    ...calls.map((c) => {
      const tr = document.createElement('tr');
      for (const value of [c.callId, c.leg, c.from, c.to, c.state, c.outcome ?? '']) {
        const td = document.createElement('td');
        td.textContent = value;
        tr.append(td);
      }
      const td = document.createElement('td');
      const a = document.createElement('a');
      a.href = `/api/calls/${encodeURIComponent(c.callId)}/pcap`;
      a.textContent = 'pcap';
      a.download = `${c.callId}.pcapng`;
      td.append(a);
      tr.append(td);
      return tr;
    }),
  );
}

function onEvent(event) {
  switch (event.kind) {
    case 'hello':
      state.lab = event.lab;
      $('trunk-info').textContent =
        `trunk ${event.lab.trunk} · domain ${event.lab.domain} · customer ${event.lab.customer}`;
      renderTargets(event.lab.targets);
      break;
    case 'sip': {
      const list = state.messages.get(event.callId) ?? [];
      list.push(event);
      state.messages.set(event.callId, list);
      if (event.callId === state.callId) drawLadder();
      break;
    }
    case 'transfer':
      if (event.callId === state.callId) setTransferState(event.text, event.tone);
      break;
    case 'call':
      if (event.callId === state.callId) {
        if (event.state === 'answered') setTransferState('Connected to the customer');
        if (event.state === 'ended') setCallActive(false);
      }
      void refreshRecords();
      break;
    case 'media':
      state.hearing.set(event.party, event.hearing);
      renderHearing();
      break;
  }
}

$('start-call').addEventListener('click', startCall);
$('hangup').addEventListener('click', hangup);
const events = new EventSource('/api/events');
events.onmessage = (msg) => onEvent(JSON.parse(msg.data));
void refreshRecords().catch(() => {});
