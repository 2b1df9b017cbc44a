/**
 * What a meeting's page says about the conference servers: a warning when the meeting has more
 * sites than the running servers take (shown right after scheduling, where the form lands), and
 * the sites that were refused because every server was full (for whoever runs the meeting).
 */
import type { Lang } from '../../api/context.ts';
import { formatFigure } from '../../api/i18n/format.ts';
import type { RefusedSite } from '../../api/nodes/placement.ts';
import { formatVietnamDateTime } from '../../api/time.ts';
import { nodeTranslator } from './texts.ts';

export interface MeetingNodeFacts {
  /** Sites the running, non-draining servers take in all, when that is fewer than the meeting's sites. */
  shortOfCapacity?: { sites: number; capacity: number };
  refused: RefusedSite[];
}

export function MeetingNodeNotes(props: { lang: Lang; facts: MeetingNodeFacts }) {
  const t = nodeTranslator(props.lang);
  const short = props.facts.shortOfCapacity;
  return (
    <>
      {short && (
        <p id="capacity-warning" class="error" role="alert">
          {t('capacityWarning', { sites: formatFigure(short.sites, props.lang), capacity: formatFigure(short.capacity, props.lang) })}
        </p>
      )}
      {props.facts.refused.length > 0 && (
        <section id="refused-sites" class="error">
          <h2>{t('refusedHeading')}</h2>
          <ul>
            {props.facts.refused.map((r) => (
              <li data-site-id={r.siteId}>
                {r.siteName} ({formatVietnamDateTime(r.at, props.lang)})
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}
