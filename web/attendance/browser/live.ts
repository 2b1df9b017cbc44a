/**
 * Keeps the live board current: polls /api/meetings/:id/attendance/live every few seconds and
 * redraws the three columns with the same markup the server rendered. Text goes in through
 * textContent only: site names and reasons are typed by people.
 */
import type { LiveBoardJson } from '../../../api/attendance/live-board.ts';
import type { LiveLabels } from '../live-page.tsx';

const POLL_MS = 5000;
const board = document.querySelector<HTMLElement>('#live-board');
if (board) start(board);

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: { class?: string; text?: string; href?: string } = {}, ...children: Node[]): HTMLElementTagNameMap[K] {
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
  if (site.group === 'dropped' && site.lastLeaveCause) li.append(el('div', { class: 'small', text: labels.causes[site.lastLeaveCause] ?? site.lastLeaveCause }));
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
  const url = `/api/meetings/${encodeURIComponent(root.dataset.meetingId ?? '')}/attendance/live`;
  const poll = async () => {
    try {
      const response = await fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const data = (await response.json()) as LiveBoardJson;
      render(root, data, labels);
      if (stale) stale.hidden = true;
      // Nothing changes once the meeting is over; stop asking.
      if (data.phase === 'ended') return;
    } catch {
      // The server restarting or the network blinking: say so and keep trying.
      if (stale) stale.hidden = false;
    }
    setTimeout(poll, POLL_MS);
  };
  setTimeout(poll, POLL_MS);
}
