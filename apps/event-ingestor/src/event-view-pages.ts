import type { EventPage, StoredEvent } from './event-queries.ts';
import { FALCO_PRIORITIES, type OutputFieldValue } from './falco-event.ts';
import { html, type SafeHtml } from './html.ts';
import type { Operator } from './operator-tokens.ts';
import { viewQueryString, type ViewQuery } from './view-query.ts';

/** The page's only style sheet, served from the same origin: the Content-Security-Policy allows nothing else. */
export const STYLE_SHEET = `
:root { color-scheme: light; --line: #d0d7de; --muted: #57606a; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: #1f2328; background: #f6f8fa; }
header { display: flex; align-items: center; gap: 1rem; padding: .6rem 1.2rem; background: #24292f; color: #fff; }
header h1 { font-size: 1.05rem; margin: 0; flex: 1; }
header a { color: #fff; }
header form { margin: 0; }
main { padding: 1rem 1.2rem; max-width: 1400px; }
form.filters { display: flex; flex-wrap: wrap; gap: .6rem; align-items: end; padding: .8rem; background: #fff; border: 1px solid var(--line); border-radius: 6px; }
form.filters label { display: flex; flex-direction: column; font-size: .8rem; color: var(--muted); }
input, select, button { font: inherit; padding: .3rem .45rem; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
button { cursor: pointer; background: #1f6feb; border-color: #1f6feb; color: #fff; }
button.secondary { background: #fff; color: #1f2328; border-color: var(--line); }
table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); margin-top: 1rem; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f0f3f6; font-weight: 600; }
td.output { font-family: ui-monospace, monospace; font-size: .82rem; word-break: break-all; }
td.time, td.nowrap { white-space: nowrap; }
pre { white-space: pre-wrap; word-break: break-all; background: #fff; border: 1px solid var(--line); padding: .7rem; border-radius: 6px; }
.priority { display: inline-block; padding: 0 .4rem; border-radius: 3px; font-size: .8rem; font-weight: 600; background: #ddf4ff; }
.priority-emergency, .priority-alert, .priority-critical { background: #ffd8d3; color: #82071e; }
.priority-error { background: #ffebe9; color: #a40e26; }
.priority-warning { background: #fff8c5; color: #7d4e00; }
.fp { display: inline-block; padding: 0 .4rem; border-radius: 3px; font-size: .8rem; background: #eaeef2; color: var(--muted); }
.error { padding: .6rem .8rem; border: 1px solid #ff818266; background: #ffebe9; border-radius: 6px; }
.muted { color: var(--muted); }
.pager { margin-top: .8rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; background: #fff; border: 1px solid var(--line); padding: .8rem; border-radius: 6px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; word-break: break-all; }
.login { max-width: 26rem; margin: 4rem auto; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 1.2rem; }
.login input { width: 100%; margin: .4rem 0 .8rem; }
`;

function layout(title: string, body: SafeHtml, session?: { operator: Operator; csrf: string }): SafeHtml {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>${title} · Falco events</title>
        <link rel="stylesheet" href="/view/style.css" />
      </head>
      <body>
        <header>
          <h1><a href="/view">Falco events</a></h1>
          ${
            session &&
            html`<span class="operator"
                >${session.operator.name} · ${session.operator.clusters === 'all' ? 'all clusters' : session.operator.clusters.join(', ')}</span
              >
              <form method="post" action="/view/logout">
                <input type="hidden" name="csrf" value="${session.csrf}" /><button class="secondary" type="submit">Sign out</button>
              </form>`
          }
        </header>
        <main>${body}</main>
      </body>
    </html> `;
}

/** The sign-in form: the operator's name (as the tokens file spells it) and token; `name` refills the form after a refusal. */
export function loginPage(message?: string, name = ''): SafeHtml {
  return layout(
    'Sign in',
    html`<form class="login" method="post" action="/view/login">
      <h2>Sign in</h2>
      ${message && html`<p class="error" role="alert">${message}</p>`}
      <label for="name">Operator name</label>
      <input id="name" name="name" autocomplete="username" maxlength="256" required value="${name}" />
      <label for="token">Operator token</label>
      <input id="token" name="token" type="password" autocomplete="current-password" required />
      <button type="submit">Sign in</button>
    </form>`,
  );
}

export function errorPage(title: string, message: string, session?: { operator: Operator; csrf: string }): SafeHtml {
  return layout(
    title,
    html`<h2>${title}</h2>
      <p class="error" role="alert">${message}</p>
      <p><a href="/view">Back to the events</a></p>`,
    session,
  );
}

const priorityBadge = (priority: string) => html`<span class="priority priority-${priority.toLowerCase()}">${priority}</span>`;

export interface ListPageInput {
  session: { operator: Operator; csrf: string };
  query: ViewQuery;
  page?: EventPage;
  error?: { parameter: string; message: string };
}

export function listPage({ session, query, page, error }: ListPageInput): SafeHtml {
  const { operator } = session;
  const back = viewQueryString({ ...query, cursor: '' });
  const clusterInput =
    operator.clusters === 'all'
      ? html`<input name="cluster" value="${query.cluster}" placeholder="any cluster" />`
      : html`<select name="cluster">
          <option value="">all my clusters</option>
          ${operator.clusters.map((c) => html`<option value="${c}" ${c === query.cluster ? html` selected` : ''}>${c}</option>`)}
        </select>`;
  const option = (value: string, label: string, current: string) =>
    html`<option value="${value}" ${value === current ? html` selected` : ''}>${label}</option>`;
  const rows = (page?.events ?? []).map(
    (event) =>
      html`<tr data-event-id="${event.id}">
        <td class="time"><a href="/view/events/${event.id}${back ? `?${new URLSearchParams({ back }).toString()}` : ''}">${event.time.toISOString()}</a></td>
        <td class="nowrap">${event.cluster}</td>
        <td>${priorityBadge(event.priority)}</td>
        <td>${event.rule}${event.falsePositive && html` <span class="fp">false positive</span>`}</td>
        <td class="output">${event.output}</td>
      </tr>`,
  );
  return layout(
    'Events',
    html`<form class="filters" method="get" action="/view" role="search">
        <label>Cluster ${clusterInput}</label>
        <label>Rule <input name="rule" value="${query.rule}" placeholder="exact rule name" /></label>
        <label
          >Priority at least
          <select name="priority">
            ${option('', 'any', query.priority)}${FALCO_PRIORITIES.map((p) => option(p, p, query.priority))}
          </select></label
        >
        <label>From (UTC) <input type="datetime-local" name="from" value="${query.from}" /></label>
        <label>To (UTC) <input type="datetime-local" name="to" value="${query.to}" /></label>
        <label>Text <input type="search" name="q" value="${query.q}" placeholder="in output or rule" /></label>
        <label
          >False positives
          <select name="fp">
            ${option('exclude', 'hidden', query.fp)}${option('include', 'shown', query.fp)}${option('only', 'only', query.fp)}
          </select></label
        >
        <button type="submit">Filter</button>
        <a href="/view">Reset</a>
      </form>
      ${error && html`<p class="error" role="alert">${error.parameter}: ${error.message}</p>`}
      ${
        page &&
        (page.events.length === 0
          ? html`<p class="muted" id="no-events">No events match.</p>`
          : html`<table id="events">
              <thead>
                <tr>
                  <th>Time (UTC)</th>
                  <th>Cluster</th>
                  <th>Priority</th>
                  <th>Rule</th>
                  <th>Output</th>
                </tr>
              </thead>
              <tbody>
                ${rows}
              </tbody>
            </table>`)
      }
      ${page?.next && html`<p class="pager"><a rel="next" href="/view?${viewQueryString({ ...query, cursor: page.next })}">Older events</a></p>`}`,
    session,
  );
}

export function eventPage(input: { session: { operator: Operator; csrf: string }; event: StoredEvent; back: string }): SafeHtml {
  const { event, session, back } = input;
  const fact = (term: string, value: SafeHtml | string | null) =>
    html`<dt>${term}</dt>
      <dd>${value ?? html`<span class="muted">none</span>`}</dd>`;
  const fields = Object.entries(event.outputFields)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(
      ([name, value]) =>
        html`<tr>
          <th scope="row">${name}</th>
          <td class="output">${fieldText(value)}</td>
        </tr>`,
    );
  const mark = event.falsePositive
    ? html`<p class="fp" id="false-positive">Marked as a false positive by ${event.falsePositive.by} at ${event.falsePositive.at.toISOString()}</p>
        <form method="post" action="/view/events/${event.id}/false-positive">
          <input type="hidden" name="csrf" value="${session.csrf}" /><input type="hidden" name="action" value="unmark" /><input
            type="hidden"
            name="back"
            value="${back}"
          /><button type="submit" class="secondary">Not a false positive</button>
        </form>`
    : html`<form method="post" action="/view/events/${event.id}/false-positive">
        <input type="hidden" name="csrf" value="${session.csrf}" /><input type="hidden" name="action" value="mark" /><input
          type="hidden"
          name="back"
          value="${back}"
        /><button type="submit">Mark as false positive</button>
      </form>`;
  return layout(
    event.rule,
    html`<p><a href="/view${back ? `?${back}` : ''}" id="back">Back to the list</a></p>
      <h2>${priorityBadge(event.priority)} ${event.rule}</h2>
      ${mark}
      <h3>Output</h3>
      <pre id="output">${event.output}</pre>
      <dl class="facts">
        ${fact('Cluster', event.cluster)}${fact('Time (UTC)', event.time.toISOString())}${fact('Received', event.receivedAt.toISOString())}
        ${fact('Source', event.source)}${fact('Host', event.hostname)}${fact('Tags', event.tags.length ? event.tags.join(', ') : null)}
        ${fact('UUID', event.uuid)}${fact('Event id', event.id)}
      </dl>
      <h3>Output fields</h3>
      <table id="output-fields">
        <tbody>
          ${fields}
        </tbody>
      </table>`,
    session,
  );
}

function fieldText(value: OutputFieldValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
