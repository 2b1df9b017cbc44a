/**
 * The tree picker on the scheduling form: search communes by name, open a province to pick
 * single communes, and show how many sites are selected. Talks to the server only through
 * /api/units and /api/sites.
 */
import { formatNumber } from '../../../api/i18n/format.ts';
import { parseLang } from '../../../api/i18n/translator.ts';

type SiteRow = { id: string; name: string; kind: string; unitCode: string; unitName: string; parentCode: string | null; hasRealAddress: boolean };

const form = document.querySelector<HTMLFormElement>('#schedule-form');
if (form) setUpPicker(form);

function setUpPicker(form: HTMLFormElement): void {
  const counter = form.querySelector<HTMLElement>('#selected-count b')!;
  const search = form.querySelector<HTMLInputElement>('#unit-search')!;
  const results = form.querySelector<HTMLUListElement>('#search-results')!;
  const provinces = [...form.querySelectorAll<HTMLLIElement>('#province-tree > li.province')];
  const addressNotice = form.querySelector<HTMLElement>('#address-notice');

  const lang = parseLang(document.documentElement.lang);
  const formatCount = (n: number) => formatNumber(n, 0, lang);

  function updateCount(): void {
    // The whole country holds every other choice: count it alone.
    const nation = form.querySelector<HTMLInputElement>('input[name="unitCodes"][value="VN"]:checked');
    if (nation) {
      counter.textContent = formatCount(Number(nation.dataset.count ?? 0));
      showAddressNotice(Number(nation.dataset.missing ?? 0), []);
      return;
    }
    const provinceHalls = form.querySelector<HTMLInputElement>('input[name="provinceHalls"]:checked');
    let total = Number(provinceHalls?.dataset.count ?? 0);
    let missing = Number(provinceHalls?.dataset.missing ?? 0);
    const wholeProvinces = new Set<string>();
    for (const box of form.querySelectorAll<HTMLInputElement>('input[name="unitCodes"]:checked')) {
      total += Number(box.dataset.count ?? 0);
      missing += Number(box.dataset.missing ?? 0);
      wholeProvinces.add(box.value);
    }
    const single = new Map<string, HTMLInputElement>();
    for (const box of form.querySelectorAll<HTMLInputElement>('input[name="siteIds"][type="checkbox"]:checked')) {
      if (!wholeProvinces.has(box.dataset.province ?? '')) single.set(box.value, box);
    }
    for (const box of single.values()) if (box.dataset.missing === '1') missing++;
    counter.textContent = formatCount(total + single.size);
    showAddressNotice(missing, [...wholeProvinces, ...[...single.values()].map((b) => b.dataset.province ?? '')].filter(Boolean));
  }

  /** "12 điểm cầu chưa có địa chỉ e-mail", linking to the directory of the province concerned. */
  function showAddressNotice(missing: number, provinceCodes: string[]): void {
    if (!addressNotice) return;
    addressNotice.hidden = missing === 0;
    if (missing === 0) return;
    const distinct = [...new Set(provinceCodes)];
    const link = document.createElement('a');
    link.href = distinct.length === 1 ? `/directory/units/${distinct[0]}?missing=true` : '/directory';
    link.target = '_blank';
    link.textContent = addressNotice.dataset.linkText ?? '';
    addressNotice.replaceChildren(`${(addressNotice.dataset.template ?? '{n}').replace('{n}', String(missing))} `, link);
  }

  function siteCheckbox(site: SiteRow, province: string): HTMLLIElement {
    const li = document.createElement('li');
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.name = 'siteIds';
    box.value = site.id;
    box.dataset.province = province;
    box.dataset.missing = site.hasRealAddress ? '0' : '1';
    // The same commune may show in a search result and under its province: keep them in step.
    box.checked = [...form.querySelectorAll<HTMLInputElement>(`input[name="siteIds"][value="${site.id}"]`)].some((b) => b.checked);
    box.addEventListener('change', () => {
      for (const twin of form.querySelectorAll<HTMLInputElement>(`input[name="siteIds"][value="${site.id}"]`)) twin.checked = box.checked;
      updateCount();
    });
    label.append(box, ` ${site.name}`);
    if (site.unitName && site.kind !== 'commune') label.append(` (${site.unitName})`);
    li.append(label);
    return li;
  }

  async function getJson<T>(url: string): Promise<T> {
    const response = await fetch(url, { headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`${response.status} ${url}`);
    return (await response.json()) as T;
  }

  for (const province of provinces) {
    const button = province.querySelector<HTMLButtonElement>('button.expand')!;
    const list = province.querySelector<HTMLUListElement>('ul.communes')!;
    button.addEventListener('click', async () => {
      if (!list.hidden) {
        list.hidden = true;
        return;
      }
      if (!list.childElementCount) {
        const { sites } = await getJson<{ sites: SiteRow[] }>(`/api/units/${province.dataset.code}/sites`);
        for (const site of sites.filter((s) => s.kind === 'commune')) list.append(siteCheckbox(site, province.dataset.code!));
      }
      list.hidden = false;
    });
  }

  let searchTimer: ReturnType<typeof setTimeout> | undefined;
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 200);
  });

  async function runSearch(): Promise<void> {
    const q = search.value.trim().toLocaleLowerCase('vi');
    for (const p of provinces) p.hidden = q.length > 0 && !(p.dataset.name ?? '').toLocaleLowerCase('vi').includes(q);
    results.replaceChildren();
    results.hidden = q.length < 2;
    if (q.length < 2) return;
    const { sites } = await getJson<{ sites: SiteRow[] }>(`/api/sites?kind=commune&q=${encodeURIComponent(search.value.trim())}&limit=50`);
    for (const site of sites) results.append(siteCheckbox(site, site.parentCode ?? ''));
  }

  form.addEventListener('change', (event) => {
    const name = (event.target as HTMLInputElement).name;
    if (name === 'unitCodes' || name === 'provinceHalls') updateCount();
  });
  updateCount();
}
