// PositionLedger's page: plain ES modules and SVG, no build step and no request outside this app.

const STANCES = ['proposes', 'supports', 'accepts', 'conditional', 'noncommittal', 'opposes', 'rejects', 'withdraws'];
const SCORE = { proposes: 2, supports: 2, accepts: 2, conditional: 1, noncommittal: 0, opposes: -1, rejects: -2 };
// Okabe-Ito colours for the party lines: distinguishable with the common colour-vision deficiencies.
const PARTY_COLOURS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#f0e442', '#000000'];
const DAY = 86400000;
// How the ledger knows a stance: a marker per kind of evidence, shown in the cells, the legend and the source view.
const EVIDENCE = {
  'direct-quote': { mark: '❝', words: 'direct quote (the speaker\'s own words)' },
  paraphrase: { mark: '≈', words: 'paraphrase (a report of what was said)' },
  'reported-act': { mark: '▲', words: 'reported act (a deed, not words)' },
  inference: { mark: '?', words: 'inference (the editor\'s reading)' },
  unanchored: { mark: '∅', words: 'unanchored (no evidence in an archived source)' },
};
const LANGUAGES = { pt: 'Portuguese', en: 'English', ru: 'Russian', uk: 'Ukrainian', fr: 'French', de: 'German', es: 'Spanish' };

const state = {
  parties: [], issues: [], first: null, last: null,
  asOf: null,          // 'YYYY-MM-DD' (through the end of that UTC day), or an instant (a replayed change point)
  knownAt: null,       // ISO instant, or null for now
  evidence: '',        // the evidence filter: '' for every kind, else kinds separated by commas
  pinned: null,        // when knownAt is now: the instant the server pinned "now" to, so answers agree and cache
  stances: null, selected: null, statement: null,
  flash: new Set(),    // 'party|issue' of the cells the last replay step changed
};

const $ = (selector) => document.querySelector(selector);
const el = (tag, attributes = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
};
const svg = (tag, attributes = {}) => {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  return node;
};

// --- API -------------------------------------------------------------------------------------------

// Reads send a key when the tab has one: a reader key, or else the editor key (which may read too). Needed
// only where the ledger is configured so that reads need a key; then a 401 asks for one.
const readKey = () => sessionStorage.getItem('reader-key') || sessionStorage.getItem('editor-key') || '';

async function api(path, options = {}) {
  const key = readKey();
  const headers = key ? { authorization: `Bearer ${key}`, ...options.headers } : options.headers;
  // An answer for "now" may be seconds old in the browser's cache: ask the server whether it still holds (a 304).
  const cache = path.includes('knownAt=') ? 'default' : 'no-cache';
  const response = await fetch(path, { cache, ...options, headers });
  if (response.status === 401) askForReaderKey();
  // An answer for "now" names the pinned URL that answers the same; later reads ask for that moment.
  const pinnedAt = response.headers.get('content-location');
  if (pinnedAt && !state.knownAt && !state.pinned) state.pinned = new URL(pinnedAt, window.location.origin).searchParams.get('knownAt');
  const body = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw Object.assign(new Error(body?.detail ?? body?.title ?? response.statusText), { status: response.status, problem: body });
  return body;
}

const knownAtOfReads = () => state.knownAt ?? state.pinned;

const clockQuery = (asOf = state.asOf) => {
  const query = new URLSearchParams(asOf ? { asOf } : {});
  if (knownAtOfReads()) query.set('knownAt', knownAtOfReads());
  if (state.evidence) query.set('evidence', state.evidence);
  return query;
};

const partyName = (id) => state.parties.find((p) => p.id === id)?.name ?? id;

// --- Dates -----------------------------------------------------------------------------------------

const toDay = (date) => date.toISOString().slice(0, 10);
const isDay = (value) => /^\d{4}-\d{2}-\d{2}$/.test(value);
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$/;
// The UTC day of a date or an instant.
const dayOf = (value) => (isDay(value) ? value : toDay(new Date(value)));
const dayIndex = (day) => Math.round((Date.parse(dayOf(day)) - Date.parse(state.first)) / DAY);
// The last moment asOf covers: a date covers its whole UTC day.
const asOfEnd = () => (isDay(state.asOf) ? Date.parse(state.asOf) + DAY - 1 : Date.parse(state.asOf));
const asOfLabel = () => (isDay(state.asOf) ? state.asOf : `${state.asOf.slice(0, 10)} ${new Date(state.asOf).toISOString().slice(11, 19)} UTC`);

function setAsOf(day, { fromSlider = false, stancesRead = null } = {}) {
  state.asOf = day;
  $('#asof-value').textContent = asOfLabel();
  $('#asof-slider').setAttribute('aria-valuetext', asOfLabel());
  $('#asof-date').value = dayOf(day);
  if (!fromSlider) $('#asof-slider').value = String(Math.max(0, dayIndex(day)));
  history.replaceState(null, '', momentUrl(state.knownAt));
  return refresh(stancesRead);
}

// The page's address says the moment shown: asOf, knownAt when one was chosen, the evidence filter. The "link to this
// moment" also pins "now" to the instant the server answered for, so that it shows the same later.
function momentUrl(knownAt) {
  const url = new URL(location.href);
  url.search = '';
  url.searchParams.set('asOf', state.asOf);
  if (knownAt) url.searchParams.set('knownAt', knownAt);
  if (state.evidence) url.searchParams.set('evidence', state.evidence);
  return url;
}

async function loadBounds() {
  const bounds = await api('/api/timeline/bounds');
  const today = toDay(new Date());
  state.first = bounds.first ?? today;
  state.last = bounds.last ?? today;
  const slider = $('#asof-slider');
  slider.min = '0';
  slider.max = String(dayIndex(state.last));
  $('#asof-date').min = state.first;
}

// --- Matrix ----------------------------------------------------------------------------------------

function renderLegend() {
  const legend = $('#legend');
  legend.replaceChildren(
    ...['proposes', 'supports', 'accepts', 'conditional', 'noncommittal', 'opposes', 'rejects']
      .map((s) => el('span', { class: `stance-${s}`, text: `${s} (${SCORE[s] > 0 ? '+' : ''}${SCORE[s]})` })),
    el('span', { class: 'stance-none', text: 'no stance' }));
  $('#evidence-legend').replaceChildren('Evidence: ', ...Object.entries(EVIDENCE).flatMap(([kind, e], i) => [
    i ? ' · ' : '', el('span', { class: 'evidence-mark', 'aria-hidden': 'true', text: e.mark }), ` ${e.words}`]));
}

function renderMatrix() {
  const table = $('#matrix');
  const caption = table.querySelector('caption');
  const head = el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Party' }),
    ...state.issues.map((i) => el('th', { scope: 'col', title: i.description ?? '', text: i.title }))));
  const byParty = new Map(state.stances.parties.map((p) => [p.party, new Map(p.issues.map((i) => [i.issue, i]))]));
  const body = el('tbody', {}, ...state.parties.map((party) => el('tr', {},
    el('th', { scope: 'row' }, el('bdi', { text: party.name })),
    ...state.issues.map((issue) => {
      const stance = byParty.get(party.id)?.get(issue.id);
      const word = stance?.stance ?? null;
      const claims = stance?.claims?.length ?? 0;
      const selected = state.selected?.party === party.id && state.selected?.issue === issue.id;
      const kind = word ? stance?.evidenceKind : null;
      // The visible text (word, then ◆N) must stand in the label in that order; the evidence comes last.
      const label = `${party.name} on ${issue.title}: ${word ?? 'no stance'}${claims ? `, ${claims} open claim${claims > 1 ? 's' : ''} by others` : ''}`
        + `${kind ? `; evidence: ${EVIDENCE[kind]?.words ?? kind}` : ''}`;
      const changed = state.flash.has(`${party.id}|${issue.id}`);
      return el('td', { class: `stance-${word ?? 'none'}${changed ? ' changed' : ''}`, 'data-changed': changed ? 'true' : null },
        el('button', {
          type: 'button', 'data-testid': `cell-${party.id}-${issue.id}`, 'data-stance': word ?? '', 'data-evidence': kind ?? '', 'aria-label': label,
          'aria-pressed': selected ? 'true' : 'false', title: label,
          onclick: () => select(party.id, issue.id),
        }, word ?? '—',
        claims ? el('span', { class: 'claims-mark', 'data-testid': 'claims-marker', 'aria-hidden': 'true', text: `◆${claims}` }) : null));
    }))));
  table.replaceChildren(caption, head, body);
  table.dataset.asOf = state.asOf;
}

// --- Details ---------------------------------------------------------------------------------------

async function select(party, issue) {
  state.selected = { party, issue };
  renderMatrix();
  await renderDetails();
  $(`[data-testid="cell-${party}-${issue}"]`)?.focus();
}

function sourceLink(source) {
  if (!source) return null;
  const text = `${source.outlet}${source.publishedAt ? `, ${source.publishedAt}` : ''}`;
  return source.url ? el('a', { href: source.url, rel: 'noopener noreferrer', target: '_blank', text }) : el('span', { text });
}

async function renderDetails() {
  const details = $('#details');
  const { party, issue } = state.selected ?? {};
  if (!party) return;
  const issueTitle = state.issues.find((i) => i.id === issue)?.title ?? issue;
  const stance = state.stances.parties.find((p) => p.party === party)?.issues.find((i) => i.issue === issue);
  const parts = [el('h3', { text: `${partyName(party)} on ${issueTitle}, as of ${asOfLabel()}` })];
  state.statement = null;
  if (!stance) {
    parts.push(el('p', { class: 'muted', text: 'No stance and no open claims.' }));
  } else {
    if (stance.statementId) {
      const mine = generation;
      const statement = await api(`/api/statements/${stance.statementId}`);
      if (superseded(mine)) return;
      state.statement = statement;
      parts.push(
        el('p', {}, el('strong', { text: stance.stance ?? 'withdrawn (no stance)' }), ' — ', el('bdi', { text: statement.speaker }), `, ${statement.statedAt}`),
        // A quote may be in a right-to-left script: isolated, its direction cannot spill into the page.
        el('blockquote', { 'data-testid': 'details-quote', dir: 'auto', text: statement.quote }),
        el('p', {}, 'Source: ', sourceLink(statement.source)),
        el('p', { 'data-testid': 'details-evidence' }, 'Evidence: ', EVIDENCE[statement.evidenceKind]?.words ?? statement.evidenceKind,
          ...(statement.evidence?.anchors ?? []).slice(0, 1).map((a) => [' — ', el('button', {
            type: 'button', class: 'link', 'data-testid': 'see-in-source', onclick: () => showSource(a.source, statement.id),
          }, 'see in source')]).flat()));
      if (statement.conditions.length) parts.push(el('p', { text: 'Conditions:' }), el('ul', {}, ...statement.conditions.map((c) => el('li', { dir: 'auto', text: c }))));
      parts.push(el('h4', { text: 'Revisions' }), el('ol', { class: 'revisions' }, ...statement.revisions.map((r) =>
        el('li', { text: `${r.kind} at ${r.recordedAt}${r.recordedBy ? ` by ${r.recordedBy}` : ''}${r.reason ? ` — ${r.reason}` : ''}${r.changedFields?.length ? ` (${r.changedFields.join(', ')})` : ''}` }))));
    } else {
      parts.push(el('p', { class: 'muted', text: 'No stance of its own: only claims by others.' }));
    }
    if (stance.claims.length) {
      parts.push(el('h4', { text: 'Open claims by others' }), ...stance.claims.map((c) =>
        el('div', { class: 'claim', 'data-testid': 'claim' }, el('strong', { text: c.stance }), ' — claimed by ', el('bdi', { text: partyName(c.claimedBy.party) }), ' (',
          el('bdi', { text: c.speaker }), `), ${c.statedAt}`)));
    }
  }
  if (state.statement && editorKey()) parts.push(correctionForms(state.statement));
  details.replaceChildren(...parts);
}

// --- Source view -----------------------------------------------------------------------------------

// The archived text with every statement anchored in it highlighted: colour by stance, marker by kind of evidence.
async function showSource(sourceId, focusStatement = null) {
  const [source, annotated] = await Promise.all([
    api(`/api/sources/${encodeURIComponent(sourceId)}`), api(`/api/sources/${encodeURIComponent(sourceId)}/annotations`)]);
  const points = Array.from(source.text); // anchors count code points, as the Web Annotation model does
  const parts = [];
  let at = 0;
  for (const a of annotated.annotations) {
    if (a.selector.start < at) continue; // an anchor inside another is reached through that one's statement
    parts.push(points.slice(at, a.selector.start).join(''));
    parts.push(el('mark', {
      id: `anchor-${a.statementId}`, class: `stance-${a.stance} highlight`, 'data-testid': 'highlight', 'data-statement': a.statementId,
      tabindex: '-1', title: `${partyName(a.party)} on ${issueTitle(a.issue)}: ${a.stance}, ${EVIDENCE[a.kind]?.words ?? a.kind}`,
    }, el('button', { type: 'button', class: 'link', onclick: () => select(a.party, a.issue) },
      el('span', { class: 'evidence-mark', 'aria-hidden': 'true', text: EVIDENCE[a.kind]?.mark ?? '' }),
      points.slice(a.selector.start, a.selector.end).join(''))));
    at = a.selector.end;
  }
  parts.push(points.slice(at).join(''));
  const translation = source.translation
    ? `${source.translation.method} translation from ${LANGUAGES[source.translation.from] ?? source.translation.from}`
      + `${source.translation.by ? ` by ${source.translation.by}` : ''}`
    : `original text (${LANGUAGES[source.language] ?? source.language})`;
  $('#source-view').replaceChildren(
    el('h3', {}, el('bdi', { text: source.title })),
    el('p', { 'data-testid': 'source-provenance' }, el('bdi', { text: source.outlet }),
      `${source.publishedAt ? `, ${source.publishedAt}` : ''} — `, el('strong', { text: translation }), ` · sha256 ${source.sha256.slice(0, 12)}…`),
    el('div', { class: 'source-text', dir: 'auto', lang: source.language }, ...parts));
  $('#source-panel').hidden = false;
  const target = focusStatement ? document.getElementById(`anchor-${focusStatement}`) : null;
  (target ?? $('#source-panel')).scrollIntoView({ block: 'center' });
  target?.focus();
}

const issueTitle = (id) => state.issues.find((i) => i.id === id)?.title ?? id;

// --- Timeline chart --------------------------------------------------------------------------------

// The chart's data: each party's step series and the gap line, in one request, computed and bounded by the server
// (downsampled past 400 points a party; every change point once zoomed in far enough). Kept per question, so a slider
// step or a replay step only moves the "as of" marker.
const chart = { key: null, series: null, zoom: null, draw: null };

function seriesQuery(issue) {
  const query = new URLSearchParams();
  const [from, to] = chart.zoom ?? [null, state.last];
  if (from) query.set('from', from);
  query.set('to', to);
  if (knownAtOfReads()) query.set('knownAt', knownAtOfReads());
  if (state.evidence) query.set('evidence', state.evidence);
  return `/api/issues/${encodeURIComponent(issue)}/series?${query}`;
}

// Zooming halves or doubles the days shown, around the moment shown; all the way out is the whole history.
function zoom(factor) {
  const first = Date.parse(state.first), last = Date.parse(state.last);
  const [from, to] = chart.zoom ? chart.zoom.map(Date.parse) : [first, last];
  const span = Math.max(DAY, (to - from) * factor);
  if (span >= last - first) chart.zoom = null;
  else {
    const centre = Math.min(Math.max(asOfEnd(), first), last);
    const start = Math.max(first, Math.min(centre - span / 2, last - span));
    chart.zoom = [toDay(new Date(start)), toDay(new Date(start + span))];
  }
  return renderChart();
}

async function renderChart() {
  const issue = $('#chart-issue').value;
  const container = $('#chart');
  if (!issue) return container.replaceChildren();
  const key = seriesQuery(issue);
  if (key === chart.key && chart.draw) return chart.draw.moveAsOf();
  const mine = generation;
  const series = await api(key);
  if (superseded(mine) && key !== seriesQuery(issue)) return;
  chart.key = key;
  chart.series = series;
  drawChart(container, series);
}

function drawChart(container, series) {
  const issue = series.issue;
  const width = 760, height = 260, left = 44, right = 16, top = 14, bottom = 30;
  const [zoomFrom, zoomTo] = chart.zoom ?? [null, null];
  const times = series.parties.flatMap((p) => p.points.map((i) => Date.parse(i.at)));
  const earliest = times.reduce((a, b) => Math.min(a, b), Date.parse(state.first));
  const latest = times.reduce((a, b) => Math.max(a, b), Date.parse(state.last));
  const start = zoomFrom ? Date.parse(zoomFrom) : earliest - DAY, end = zoomTo ? Date.parse(zoomTo) + DAY : latest + DAY;
  const x = (t) => left + ((Math.min(Math.max(t, start), end) - start) / (end - start)) * (width - left - right);
  const yScore = (score) => top + ((2 - score) / 4) * (height - top - bottom);
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `Stance score of each party on ${issue} over time` });
  for (const score of [2, 1, 0, -1, -2]) {
    root.append(svg('line', { class: 'grid', x1: left, x2: width - right, y1: yScore(score), y2: yScore(score) }));
    const label = svg('text', { x: left - 6, y: yScore(score) + 4, 'text-anchor': 'end' });
    label.textContent = score > 0 ? `+${score}` : String(score);
    root.append(label);
  }
  for (const t of [start + (zoomFrom ? 0 : DAY), end - DAY]) {
    const label = svg('text', { x: x(t), y: height - 10, 'text-anchor': 'middle' });
    label.textContent = toDay(new Date(t));
    root.append(label);
  }
  root.append(svg('line', { class: 'axis', x1: left, x2: left, y1: top, y2: height - bottom }));
  const marker = svg('line', { class: 'axis', y1: top, y2: height - bottom, 'stroke-dasharray': '4 3', 'data-testid': 'chart-asof' });
  root.append(marker);

  const legend = el('div', { class: 'chart-legend' });
  const tooltip = document.body.querySelector('.tooltip') ?? document.body.appendChild(el('div', { class: 'tooltip', hidden: true }));
  const drawn = state.parties.filter((party) => series.parties.some((s) => s.party === party.id && s.points.length));
  drawn.forEach((party, index) => {
    const own = series.parties.find((s) => s.party === party.id).points;
    const colour = PARTY_COLOURS[state.parties.indexOf(party) % PARTY_COLOURS.length];
    // Parties with the same score would hide each other: each line sits a few pixels off the score.
    const offset = (index - (drawn.length - 1) / 2) * 3;
    const y = (score) => yScore(score) + offset;
    // A step line: each change point holds until the next; a withdrawal ends the line until a new stance.
    let d = '', open = false;
    for (const item of own) {
      const px = x(Date.parse(item.at));
      if (item.score === null) { if (open) d += ` H ${px}`; open = false; continue; }
      d += open ? ` H ${px} V ${y(item.score)}` : ` M ${px} ${y(item.score)}`;
      open = true;
    }
    if (open) d += ` H ${width - right}`;
    root.append(svg('path', { class: 'line', d: d.trim(), stroke: colour, 'data-testid': 'timeline-line', 'data-party': party.id }));
    for (const item of own.filter((i) => i.score !== null && Date.parse(i.at) >= start)) {
      const point = svg('circle', { cx: x(Date.parse(item.at)), cy: y(item.score), r: 5, fill: colour, tabindex: 0, 'data-testid': 'timeline-point' });
      const text = `${party.name}, ${item.statedAt}: ${item.stance} — ${item.speaker}: “${item.quote}”`;
      const title = svg('title');
      title.textContent = text;
      point.append(title);
      const show = (event) => {
        tooltip.replaceChildren(`${party.name}, ${item.statedAt}: ${item.stance} — `, el('bdi', { text: item.speaker }), ': “', el('bdi', { text: item.quote }), '”');
        tooltip.hidden = false;
        const box = event.target.getBoundingClientRect();
        tooltip.style.left = `${Math.min(box.left + 12, innerWidth - 360)}px`;
        tooltip.style.top = `${box.top + 12}px`;
      };
      point.addEventListener('mouseenter', show);
      point.addEventListener('focus', show);
      point.addEventListener('mouseleave', () => { tooltip.hidden = true; });
      point.addEventListener('blur', () => { tooltip.hidden = true; });
      root.append(point);
    }
    // Set through the style object: the page's Content-Security-Policy allows no inline style attributes.
    const swatch = el('i');
    swatch.style.background = colour;
    legend.append(el('span', {}, swatch, el('bdi', { text: party.name })));
  });
  const thinned = series.parties.filter((p) => p.downsampled);
  const note = el('p', { class: 'hint', 'data-testid': 'chart-note', text: thinned.length
    ? `${thinned.map((p) => `${partyName(p.party)}: ${p.points.length} of ${p.changePoints.toLocaleString('en')}`).join('; ')} change points drawn; zoom in to see every one.`
    : 'Every change point is drawn.' });
  const gap = convergenceLine(issue, series.gap, x, width, left, right);
  chart.draw = {
    moveAsOf() {
      const at = x(asOfEnd());
      marker.setAttribute('x1', at);
      marker.setAttribute('x2', at);
      gap.update();
    },
  };
  chart.draw.moveAsOf();
  container.replaceChildren(root, legend, note, gap.node);
}

/** Rule 8 under the timeline: how far apart the parties are (0 = agreement, 4 = opposite), a step per change point. */
function convergenceLine(issue, gaps, x, width, left, right) {
  const height = 70, top = 8, bottom = 16;
  const y = (gap) => top + ((4 - gap) / 4) * (height - top - bottom);
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'data-testid': 'convergence' });
  for (const gap of [0, 4]) {
    root.append(svg('line', { class: 'grid', x1: left, x2: width - right, y1: y(gap), y2: y(gap) }));
    const text = svg('text', { x: left - 6, y: y(gap) + 4, 'text-anchor': 'end' });
    text.textContent = String(gap);
    root.append(text);
  }
  // A null gap (fewer than two parties with a stance) breaks the line.
  let d = '', open = false;
  for (const p of gaps) {
    const px = x(Date.parse(p.at));
    if (p.gap === null) { if (open) d += ` H ${px}`; open = false; continue; }
    d += open ? ` H ${px} V ${y(p.gap)}` : ` M ${px} ${y(p.gap)}`;
    open = true;
  }
  if (open) d += ` H ${width - right}`;
  if (d) root.append(svg('path', { class: 'gap-line', d: d.trim(), 'data-testid': 'convergence-line' }));
  const caption = el('p', { class: 'hint', 'data-testid': 'convergence-caption' });
  const node = el('div', { class: 'convergence' }, root, caption);
  const update = () => {
    const latest = gaps.filter((p) => Date.parse(p.at) <= asOfEnd()).at(-1);
    const label = latest && latest.gap !== null ? `gap ${latest.gap} of 4 as of ${asOfLabel()}` : 'fewer than two parties with a stance';
    root.setAttribute('aria-label', `How far apart the parties are on ${issueTitle(issue)}: ${label}`);
    caption.textContent = `Convergence: the gap between the highest and the lowest stance score (0 = agreement, 4 = opposite); ${label}.`;
  };
  return { node, update };
}

// --- Editor ----------------------------------------------------------------------------------------

const editorKey = () => sessionStorage.getItem('editor-key') ?? '';

function showErrors(form, problem) {
  form.querySelectorAll('.error').forEach((e) => { e.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
  if (!problem) return;
  const errors = problem.errors ?? {};
  let placed = false;
  for (const [field, messages] of Object.entries(errors)) {
    const root = field.replace(/\[\d+\]$/, '');
    const slot = form.querySelector(`.error[data-field="${root}"]`);
    if (!slot) continue;
    slot.textContent = messages.join(' ');
    form.querySelector(`[name="${root}"]`)?.setAttribute('aria-invalid', 'true');
    placed = true;
  }
  if (!placed) form.querySelector('.error[data-field="*"]').textContent = problem.detail ?? problem.title ?? 'The request failed.';
}

async function send(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${editorKey()}`, 'idempotency-key': crypto.randomUUID() },
    body: JSON.stringify(body),
  });
  const payload = await response.json().catch(() => null);
  // A write moves "now" on: the next reads pin a new moment, so the editor sees what was written.
  if (response.ok) state.pinned = null;
  return { ok: response.ok, status: response.status, payload };
}

async function append(event) {
  event.preventDefault();
  const form = event.target;
  const value = (name) => form.elements[name].value.trim();
  const body = {
    party: value('party'), issue: value('issue'), stance: value('stance'), speaker: value('speaker'), quote: value('quote'),
    statedAt: value('statedAt'), source: { outlet: value('source.outlet') },
    conditions: value('conditions').split('\n').map((c) => c.trim()).filter(Boolean),
  };
  if (value('source.url')) body.source.url = value('source.url');
  if (value('claimedBy.party')) body.claimedBy = { party: value('claimedBy.party'), speaker: value('speaker') };
  const result = await send('/api/statements', body);
  showErrors(form, result.ok ? null : result.payload);
  $('#append-result').textContent = !result.ok ? `Not appended (${result.status}).`
    : result.status === 202 ? `Proposed: statement ${result.payload.id} waits for a verifier's approval.`
      : `Appended statement ${result.payload.id}.`;
  if (!result.ok) return;
  form.reset();
  await renderReviews();
  await loadBounds();
  await setAsOf(/^\d{4}-\d{2}-\d{2}/.test(body.statedAt) ? body.statedAt.slice(0, 10) : state.asOf);
}

function correctionForms(statement) {
  const correct = el('form', { novalidate: true, 'data-testid': 'correct-form' },
    el('h4', { text: `Correct (version ${statement.version})` }),
    el('div', { class: 'grid' },
      el('div', { class: 'field' }, el('label', { for: 'c-stance', text: 'Stance' }),
        el('select', { id: 'c-stance', name: 'stance' }, ...STANCES.map((s) => el('option', { value: s, selected: s === statement.stance, text: s }))),
        el('span', { class: 'error', 'data-field': 'stance' })),
      el('div', { class: 'field' }, el('label', { for: 'c-statedAt', text: 'Stated at' }), el('input', { id: 'c-statedAt', name: 'statedAt', value: statement.statedAt }),
        el('span', { class: 'error', 'data-field': 'statedAt' })),
      el('div', { class: 'field wide' }, el('label', { for: 'c-quote', text: 'Quote' }), el('textarea', { id: 'c-quote', name: 'quote', rows: 2, text: statement.quote }),
        el('span', { class: 'error', 'data-field': 'quote' })),
      el('div', { class: 'field wide' }, el('label', { for: 'c-reason', text: 'Reason (required)' }), el('input', { id: 'c-reason', name: 'reason' }),
        el('span', { class: 'error', 'data-field': 'reason' }))),
    el('p', { class: 'error', 'data-field': '*', role: 'alert' }),
    el('button', { type: 'submit', text: 'Correct' }), ' ',
    el('button', { type: 'button', 'data-action': 'retract', text: 'Retract' }));
  const changed = (name) => correct.elements[name].value.trim() !== String(statement[name]) ? correct.elements[name].value.trim() : undefined;
  correct.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { expectedVersion: statement.version, reason: correct.elements.reason.value.trim(), stance: changed('stance'), statedAt: changed('statedAt'), quote: changed('quote') };
    const result = await send(`/api/statements/${statement.id}/corrections`, body);
    showErrors(correct, result.ok ? null : result.payload);
    if (result.ok) await Promise.all([refresh(), renderReviews()]);
  });
  correct.querySelector('[data-action=retract]').addEventListener('click', async () => {
    const result = await send(`/api/statements/${statement.id}/retraction`, { expectedVersion: statement.version, reason: correct.elements.reason.value.trim() });
    showErrors(correct, result.ok ? null : result.payload);
    if (result.ok) await Promise.all([refresh(), renderReviews()]);
  });
  return correct;
}

// --- Review: the queue of proposals (editors and verifiers only; readers get 403 and see nothing of it) ---------

const REVIEWED_FIELDS = {
  party: (c) => partyName(c.party), issue: (c) => issueTitle(c.issue), stance: (c) => String(c.stance).toLowerCase(),
  statedAt: (c) => String(c.statedAt).slice(0, 10), speaker: (c) => c.speaker, quote: (c) => c.quote,
  source: (c) => c.source?.outlet ?? '', conditions: (c) => (c.conditions ?? []).join('; '),
  claimedBy: (c) => (c.claimedBy ? partyName(c.claimedBy.party) : ''), evidence: (c) => c.evidence?.kind ?? 'unanchored',
};

async function renderReviews() {
  const panel = $('#review-queue');
  const key = editorKey();
  const response = key ? await fetch('/api/reviews', { headers: { authorization: `Bearer ${key}` }, cache: 'no-store' }) : null;
  if (!response?.ok) { panel.hidden = true; return; }
  const items = await response.json();
  panel.hidden = false;
  const others = items.filter((i) => !i.mine);
  const mine = items.filter((i) => i.mine);
  $('#to-review').replaceChildren(...(others.length ? others.map((i) => proposalItem(i, true))
    : [el('li', { class: 'muted', text: 'Nothing waits for your review.' })]));
  $('#my-proposals').replaceChildren(...(mine.length ? mine.map((i) => proposalItem(i, false))
    : [el('li', { class: 'muted', text: 'None pending.' })]));
}

// A proposal: what it would change as a diff of fields (now, proposed), its evidence, and for others' a decision.
function proposalItem(item, decidable) {
  const after = item.after ?? item.before;
  const fields = item.kind === 'statement' ? Object.keys(REVIEWED_FIELDS).filter((f) => REVIEWED_FIELDS[f](after))
    : item.kind === 'correction' ? item.changedFields : [];
  const diff = fields.length === 0 ? null : el('table', { class: 'diff' },
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Field' }), el('th', { scope: 'col', text: 'Now' }),
      el('th', { scope: 'col', text: 'Proposed' }))),
    el('tbody', {}, ...fields.map((f) => el('tr', {}, el('th', { scope: 'row', text: f }),
      el('td', {}, item.before ? el('del', { dir: 'auto', text: REVIEWED_FIELDS[f]?.(item.before) ?? '' }) : '\u2014'),
      el('td', {}, el('ins', { dir: 'auto', text: REVIEWED_FIELDS[f]?.(item.after) ?? '' }))))));
  const anchors = (item.after?.evidence?.anchors ?? []).map((a) => el('li', {}, `${a.source}: \u201c`, el('bdi', { text: a.exact }), '\u201d'));
  const summary = item.kind === 'retraction'
    ? `Retract ${partyName(after.party)} on ${issueTitle(after.issue)} (${item.reason})`
    : `${item.kind === 'statement' ? 'New statement' : `Correction (${item.reason})`}: ${partyName(after.party)} on ${issueTitle(after.issue)}`;
  const parts = [el('p', {}, el('strong', { text: summary }), ` \u2014 proposed by ${item.proposedBy}, ${item.proposedAt.slice(0, 16).replace('T', ' ')} UTC`),
    diff, anchors.length ? el('ul', { class: 'anchors', 'aria-label': 'Evidence anchors' }, ...anchors) : null];
  if (decidable) {
    const noteId = `note-${item.proposal}`;
    const form = el('form', { novalidate: true },
      el('div', { class: 'field' }, el('label', { for: noteId, text: 'Note (approval) or reason (rejection)' }), el('input', { id: noteId, name: 'note' })),
      el('button', { type: 'submit', 'data-action': 'approve', text: 'Approve' }),
      el('button', { type: 'button', 'data-action': 'reject', text: 'Reject' }),
      el('span', { role: 'status', class: 'decision' }));
    const decide = async (verb, body) => {
      const result = await send(`/api/reviews/${item.proposal}/${verb}`, body);
      form.querySelector('.decision').textContent = result.ok ? `${verb === 'approve' ? 'Approved' : 'Rejected'}.`
        : `Not ${verb === 'approve' ? 'approved' : 'rejected'}: ${Object.values(result.payload?.errors ?? {}).flat().join(' ')
          || result.payload?.detail || result.status}`;
      if (result.ok) await Promise.all([refresh(), renderReviews()]);
    };
    form.addEventListener('submit', (event) => { event.preventDefault(); decide('approve', { note: form.elements.note.value.trim() || null }); });
    form.querySelector('[data-action=reject]').addEventListener('click', () => decide('reject', { reason: form.elements.note.value.trim() }));
    parts.push(form);
  }
  return el('li', { 'data-testid': 'proposal', 'data-proposal': item.proposal, 'data-kind': item.kind }, ...parts);
}

function fillEditor() {
  const options = (items, blank) => [...(blank ? [el('option', { value: '', text: blank })] : []), ...items.map(([value, text]) => el('option', { value, text }))];
  $('#f-party').replaceChildren(...options(state.parties.map((p) => [p.id, p.name])));
  $('#f-claimedBy').replaceChildren(...options(state.parties.map((p) => [p.id, p.name]), '— (the party itself)'));
  $('#f-issue').replaceChildren(...options(state.issues.map((i) => [i.id, i.title])));
  $('#f-stance').replaceChildren(...options(STANCES.map((s) => [s, s])));
  $('#chart-issue').replaceChildren(...options(state.issues.map((i) => [i.id, i.title])));
  $('#party-select').replaceChildren(...options(state.parties.map((p) => [p.id, p.name])));
  $('#editor-key').value = editorKey();
}

// --- Reader key ------------------------------------------------------------------------------------

function askForReaderKey() {
  const form = $('#reader-access');
  if (!form.hidden) return;
  form.hidden = false;
  $('#reader-key').focus();
}

// --- Wiring ----------------------------------------------------------------------------------------

// Each refresh is a generation: a response that arrives after a newer refresh began is ignored, so a slow
// answer for an earlier date can never overwrite the one the controls show.
let generation = 0;
// --- Party record: the claims it made (rule 6) and its reversals (rule 7) ---------------------------

const RESOLUTION = { 'borne-out': 'borne out', contradicted: 'contradicted', open: 'open' };
const longDate = (day) => new Date(`${day.slice(0, 10)}T00:00:00Z`)
  .toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
const signed = (n) => (n > 0 ? `+${n}` : n < 0 ? `\u2212${-n}` : '0');

async function renderParty() {
  const mine = generation;
  const party = $('#party-select').value;
  if (!party) return;
  // The reversals of the last 30 days up to the date shown: on a long history a party reverses itself thousands of times.
  const flipsQuery = new URLSearchParams({ from: toDay(new Date(asOfEnd() - FLIPS_DAYS * DAY)), to: state.asOf });
  if (knownAtOfReads()) flipsQuery.set('knownAt', knownAtOfReads());
  if (state.evidence) flipsQuery.set('evidence', state.evidence);
  const [claims, flips] = await Promise.all([
    api(`/api/parties/${encodeURIComponent(party)}/claims-made?${clockQuery()}`),
    api(`/api/parties/${encodeURIComponent(party)}/flips?${flipsQuery}`),
  ]);
  if (superseded(mine) || party !== $('#party-select').value) return;
  const t = claims.totals;
  $('#claims-summary').textContent = `${partyName(party)}: ${t.made} ${t.made === 1 ? 'claim' : 'claims'}, ${t.borneOut} borne out, `
    + `${t.contradicted} contradicted, ${t.open} open as of ${longDate(state.asOf)}${isDay(state.asOf) ? '' : asOfLabel().slice(10)}`;
  $('#claims-made').replaceChildren(...(claims.claims.length === 0
    ? [el('li', { class: 'muted', text: 'No claims about other parties.' })]
    : latest(claims.claims, 'claims').map((c) => c.more ? c.more : el('li', { 'data-resolution': c.resolution },
      el('span', { class: 'when', text: c.statedAt.slice(0, 10) }), ' ',
      `${c.claimedBy.speaker}: ${partyName(c.about)} ${c.stance} on ${issueTitle(c.issue)} \u2014 `,
      el('strong', { class: `resolution ${c.resolution}`, text: RESOLUTION[c.resolution] })))));
  $('#flips').replaceChildren(...(flips.flips.length === 0
    ? [el('li', { class: 'muted', text: `No reversals in the ${FLIPS_DAYS} days up to this date.` })]
    : latest(flips.flips, 'reversals').map((f) => f.more ? f.more : el('li', {},
      el('span', { class: 'when', text: f.after.statedAt.slice(0, 10) }), ' ',
      `${issueTitle(f.issue)}: ${f.before.stance} \u2192 ${f.after.stance}`,
      f.swing === null ? '' : el('span', { class: 'swing', text: ` (swing ${signed(f.swing)})` })))));
}

const FLIPS_DAYS = 30, LISTED = 100;

// The last LISTED items of a list in time order, after a line saying how many earlier ones are not listed.
const latest = (items, what) => (items.length <= LISTED ? items
  : [{ more: el('li', { class: 'muted', text: `${(items.length - LISTED).toLocaleString('en')} earlier ${what} not listed.` }) },
    ...items.slice(-LISTED)]);

const superseded = (mine) => mine !== generation;

// stancesRead: the stances already asked for (the first render asks for them with the lists), or null.
async function refresh(stancesRead = null) {
  const mine = ++generation;
  const stances = (await stancesRead) ?? await api(`/api/stances?${clockQuery()}`);
  if (superseded(mine)) return;
  state.stances = stances;
  renderMatrix();
  // The first complete render of matrix and timeline, for the bench (B8): a mark on the page's own clock.
  const charted = renderChart().then(() => {
    if (!superseded(mine) && performance.getEntriesByName('ledger-ready').length === 0) performance.mark('ledger-ready');
  });
  // While the replay plays, the party record waits until it pauses for a moment: its reads are the slowest.
  await Promise.all([state.selected ? renderDetails() : null, charted, replay.playing ? partyLater() : renderParty()]);
  if (superseded(mine)) return;
  $('#moment-link').href = momentUrl(knownAtOfReads()).href;
  document.body.dataset.ready = 'true';
}

// --- Replay: step through the change points (the distinct statedAt of the statements) ----------------------------

const replay = { playing: false, timer: null, party: null };

function partyLater() {
  clearTimeout(replay.party);
  replay.party = setTimeout(renderParty, 1000);
}

// Up to 50 statements from the timeline, as the reads now see it (knownAt, evidence), in the given order and bounds.
async function timelinePage(bounds) {
  const query = new URLSearchParams({ limit: '50', ...bounds });
  if (knownAtOfReads()) query.set('knownAt', knownAtOfReads());
  if (state.evidence) query.set('evidence', state.evidence);
  return (await api(`/api/timeline?${query}`)).items;
}

const instantOf = (statedAt) => (isDay(statedAt) ? `${statedAt}T00:00:00Z` : statedAt);
const justAfter = (moment) => (isDay(moment) ? toDay(new Date(Date.parse(moment) + DAY)) : new Date(Date.parse(moment) + 1).toISOString());
const justBefore = (statedAt) => new Date(Date.parse(instantOf(statedAt)) - 1).toISOString();

// The moment that shows a change point exactly: its day when no later change point falls on that day (the shorter
// link), else the instant. following: the next change point's statedAt, undefined when there is none, null when unknown.
const momentOf = (at, following) =>
  (following !== null && (following === undefined || dayOf(following) !== dayOf(at)) ? dayOf(at) : instantOf(at));

async function stepForward() {
  const items = await timelinePage({ from: justAfter(state.asOf) });
  if (items.length === 0) return false;
  const at = items[0].statedAt;
  const following = items.find((i) => i.statedAt !== at)?.statedAt ?? (items.length === 50 ? null : undefined);
  await showChangePoint(momentOf(at, following), items.filter((i) => i.statedAt === at));
  return true;
}

async function stepBack() {
  const latest = await timelinePage({ to: state.asOf, order: 'newest-first' });
  if (latest.length === 0) return false;
  const current = latest[0].statedAt;
  let earlier = latest.filter((i) => i.statedAt !== current);
  if (earlier.length === 0) earlier = await timelinePage({ to: justBefore(current), order: 'newest-first' });
  if (earlier.length === 0) {
    // Before the first change point: the day before it, when nothing was stated yet.
    await showChangePoint(toDay(new Date(Date.parse(dayOf(current)) - DAY)), []);
    return true;
  }
  const at = earlier[0].statedAt;
  await showChangePoint(momentOf(at, current), earlier.filter((i) => i.statedAt === at));
  return true;
}

const cellStates = (stances) => new Map((stances?.parties ?? []).flatMap((p) => p.issues.map((i) =>
  [`${p.party}|${i.issue}`, `${i.stance}|${i.statementId}|${i.claims?.length ?? 0}`])));

// Shows the ledger at a change point: the cells whose stance or claims changed are outlined (and flash), the first
// statement made then is selected, and the statements are listed under the controls.
async function showChangePoint(moment, statements) {
  const before = cellStates(state.stances);
  const first = statements[0];
  if (first) state.selected = { party: first.party, issue: first.issue };
  state.flash = new Set();
  await setAsOf(moment);
  const after = cellStates(state.stances);
  state.flash = new Set([...new Set([...before.keys(), ...after.keys()])].filter((key) => before.get(key) !== after.get(key)));
  renderMatrix();
  $('#replay-status').replaceChildren(statements.length === 0
    ? el('span', { text: `As of ${asOfLabel()}: before the first statement.` })
    : el('span', { class: 'at', text: `As of ${asOfLabel()}:` }),
  statements.length === 0 ? null : el('ul', {}, ...statements.slice(0, SHOWN).map((s) => el('li', { 'data-testid': 'replay-statement' },
    s.claimedBy
      ? `${partyName(s.claimedBy.party)} claims ${partyName(s.party)} ${s.stance} on ${issueTitle(s.issue)}`
      : `${partyName(s.party)} ${s.stance} on ${issueTitle(s.issue)}`,
    ' \u2014 ', el('bdi', { text: s.speaker }), ': \u201c', el('bdi', { text: shortQuote(s.quote) }), '\u201d')),
  statements.length > SHOWN ? el('li', { text: `and ${statements.length - SHOWN} more` }) : null));
}

// At most this many statements of a change point are listed under the controls.
const SHOWN = 5;

const shortQuote = (quote) => (quote.length <= 120 ? quote : `${quote.slice(0, 117)}...`);

function showPlaying(playing) {
  replay.playing = playing;
  const button = $('#replay-play');
  button.replaceChildren(el('span', { 'aria-hidden': 'true', text: playing ? '\u275a\u275a ' : '\u25b6 ' }), playing ? 'Pause' : 'Play');
  button.dataset.playing = String(playing);
}

async function play() {
  if (replay.playing) return pause();
  showPlaying(true);
  // At the end of the history, play starts again from the first change point.
  if (!(await stepForward())) {
    await setAsOf(toDay(new Date(Date.parse(state.first) - DAY)));
    if (!(await stepForward())) return pause();
  }
  scheduleStep();
}

function scheduleStep() {
  replay.timer = setTimeout(async () => {
    if (!replay.playing) return;
    if (await stepForward()) scheduleStep();
    else pause();
  }, Number($('#replay-speed').value));
}

function pause() {
  clearTimeout(replay.timer);
  showPlaying(false);
}

// J, K and L as in video players, unless the key is meant for a field.
function replayKeys(event) {
  if (event.ctrlKey || event.metaKey || event.altKey || event.target.closest('input, textarea, select, [contenteditable]')) return;
  const action = { j: () => { pause(); return stepBack(); }, k: play, l: () => { pause(); return stepForward(); } }[event.key.toLowerCase()];
  if (!action) return;
  event.preventDefault();
  action();
}

async function start() {
  $('#reader-access').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem('reader-key', $('#reader-key').value.trim());
    location.reload();
  });
  renderLegend();
  const requested = new URL(location.href).searchParams;
  // A link to a moment brings back its clocks and filter.
  const knownAt = requested.get('knownAt');
  if (knownAt && INSTANT.test(knownAt) && !Number.isNaN(Date.parse(knownAt))) {
    state.knownAt = new Date(knownAt).toISOString();
    $('#knownat').value = state.knownAt.slice(0, 19);
  }
  const evidence = requested.get('evidence');
  if (evidence && [...$('#evidence-filter').options].some((o) => o.value === evidence)) {
    state.evidence = evidence;
    $('#evidence-filter').value = evidence;
  }
  const asked = requested.get('asOf');
  const asOf = asked && (isDay(asked) || INSTANT.test(asked)) && !Number.isNaN(Date.parse(asked)) ? asked : null;
  // The stances are asked for with the lists, not after them: without a date, as of now, which is the answer as of the
  // last statedAt too (nothing is stated later). One round trip fewer before the first render.
  const stancesRead = api(`/api/stances?${clockQuery(asOf)}`).catch(() => null);
  [state.parties, state.issues] = await Promise.all([api('/api/parties'), api('/api/issues'), loadBounds()]);
  fillEditor();
  const slider = $('#asof-slider');
  // A date or time chosen by hand ends the replay's step: nothing is outlined as changed.
  const chosen = (day, options) => { state.flash = new Set(); $('#replay-status').replaceChildren(); return setAsOf(day, options); };
  slider.addEventListener('input', () => {
    const day = toDay(new Date(Date.parse(state.first) + Number(slider.value) * DAY));
    chosen(day, { fromSlider: true });
  });
  $('#asof-date').addEventListener('change', (event) => { if (event.target.value) chosen(event.target.value); });
  $('#knownat').addEventListener('change', (event) => {
    state.knownAt = event.target.value ? `${event.target.value.length === 16 ? `${event.target.value}:00` : event.target.value}Z` : null;
    chosen(state.asOf);
  });
  $('#knownat-now').addEventListener('click', () => { $('#knownat').value = ''; state.knownAt = null; state.pinned = null; chosen(state.asOf); });
  $('#chart-issue').addEventListener('change', renderChart);
  $('#chart-zoom-in').addEventListener('click', () => zoom(0.5));
  $('#chart-zoom-out').addEventListener('click', () => zoom(2));
  $('#party-select').addEventListener('change', renderParty);
  $('#evidence-filter').addEventListener('change', (event) => { state.evidence = event.target.value; chosen(state.asOf); });
  $('#replay-back').addEventListener('click', () => { pause(); stepBack(); });
  $('#replay-forward').addEventListener('click', () => { pause(); stepForward(); });
  $('#replay-play').addEventListener('click', play);
  document.addEventListener('keydown', replayKeys);
  $('#editor-key').addEventListener('change', (event) => {
    sessionStorage.setItem('editor-key', event.target.value.trim());
    if (state.selected) renderDetails();
    renderReviews();
  });
  $('#append-form').addEventListener('submit', append);
  // The queue first: the page is ready (data-ready) only once both are drawn.
  await renderReviews();
  await setAsOf(asOf ?? state.last, { stancesRead });
}

start().catch((error) => {
  const why = error.status === 401 ? 'this ledger needs a reader key (enter it above).' : error.message;
  $('#details').replaceChildren(el('p', { class: 'error', role: 'alert', text: `Could not load the ledger: ${why}` }));
});
