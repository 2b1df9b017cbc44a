/**
 * Keeps the live board current from one server-sent-event stream
 * (/api/meetings/:id/attendance/live/events): the whole board on every (re)connect, then
 * patches with the rows that changed; redraws the three columns with the same markup the
 * server rendered. EventSource reconnects by itself; while it is away the board says so.
 * Text goes in through textContent only: site names and reasons are typed by people.
 */
import type { LiveBoardJson, LiveBoardSite } from '../../../api/attendance/live-board.ts';
import type { LiveLabels } from '../live-page.tsx';

type BoardPatch = Omit<LiveBoardJson, 'sites'> & { sites: LiveBoardSite[]; removed: string[]; order?: string[] };
const board = document.querySelector<HTMLElement>('#live-board');
if (board) start(board);

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { class?: string; text?: string; href?: string } = {},
  ...children: Node[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  if (props.text !== undefined) node.textContent = props.text;
  if (props.href && node instanceof HTMLAnchorElement) node.href = props.href;
  node.append(...children);
  return node;
}

function siteItem(site: LiveBoardJson['sites'][number], labels: LiveLabels): HTMLLIElement {
  const li = el('li', {}, el('strong', { text: site.siteName }));
  li.dataset.siteId = site.siteId;
  if (site.role === 'host') li.append(el('span', { class: 'host-mark', text: ` (${labels.hostMark})` }));
  if (site.since) li.append(el('span', { class: 'muted small', text: ` · ${labels.since} ${site.since.slice(11, 16)}` }));
  if (site.group === 'dropped' && site.lastLeaveCause)
    li.append(el('div', { class: 'small', text: labels.causes[site.lastLeaveCause] ?? site.lastLeaveCause }));
  if (site.rsvp?.answer === 'declined') li.append(el('div', { class: 'small', text: `${labels.declined}${site.rsvp.reason ? `: ${site.rsvp.reason}` : ''}` }));
  if (site.contactPhone || site.contactEmails.length > 0) {
    const contact = el('div', { class: 'contact small' });
    if (site.contactPhone) contact.append(el('a', { text: site.contactPhone, href: `tel:${site.contactPhone.replace(/[^\d+]/g, '')}` }));
    for (const email of site.contactEmails) contact.append(el('a', { text: email, href: `mailto:${email}` }));
    li.append(contact);
  }
  return li;
}

function render(root: HTMLElement, data: LiveBoardJson, labels: LiveLabels): void {
  for (const column of root.querySelectorAll<HTMLElement>('section[data-group]')) {
    const group = column.dataset.group;
    const sites = data.sites.filter((s) => s.group === group);
    column.querySelector('.count')!.textContent = String(sites.length);
    column.querySelector('ul')!.replaceChildren(...sites.map((s) => siteItem(s, labels)));
  }
  document.querySelector('#live-updated')!.textContent = `${labels.updatedAt} ${data.now.slice(11, 19)}`;
}

function start(root: HTMLElement): void {
  const labels = JSON.parse(root.dataset.labels ?? '{}') as LiveLabels;
  const stale = document.querySelector<HTMLElement>('#live-stale');
  const url = `/api/meetings/${encodeURIComponent(root.dataset.meetingId ?? '')}/attendance/live/events`;
  let board: LiveBoardJson | null = null;
  const source = new EventSource(url, { withCredentials: true });
  source.addEventListener('board', (event) => {
    board = JSON.parse((event as MessageEvent<string>).data) as LiveBoardJson;
    render(root, board, labels);
    if (stale) stale.hidden = true;
  });
  source.addEventListener('patch', (event) => {
    if (!board) return;
    const patch = JSON.parse((event as MessageEvent<string>).data) as BoardPatch;
    const byId = new Map(board.sites.map((s) => [s.siteId, s]));
    for (const id of patch.removed) byId.delete(id);
    for (const site of patch.sites) byId.set(site.siteId, site);
    const order = patch.order ?? board.sites.map((s) => s.siteId).filter((id) => byId.has(id));
    const { sites: _changed, removed: _removed, order: _order, ...head } = patch;
    board = { ...head, sites: order.map((id) => byId.get(id)).filter((s): s is LiveBoardSite => s !== undefined) };
    render(root, board, labels);
    if (stale) stale.hidden = true;
  });
  // The server restarting or the network blinking: say so; EventSource keeps trying.
  source.addEventListener('error', () => {
    if (stale) stale.hidden = false;
  });
  window.addEventListener('pagehide', () => source.close());
}
