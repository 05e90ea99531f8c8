import { html, type TemplateResult } from 'lit';

/**
 * The panel that shows a new secret (an API key's, a webhook endpoint's) the one time the server
 * hands it out; `dismiss` drops it from the page's state, after which nothing holds it.
 */
export function secretOnce(
  heading: string,
  note: string,
  rows: [label: string, value: string, testId: string][],
  dismiss: () => void,
): TemplateResult {
  return html`<section class="panel secret" role="status" aria-label=${heading}>
    <h2>${heading}</h2>
    <p>${note}</p>
    <dl>
      ${rows.map(([label, value, testId]) => html`<dt>${label}</dt><dd><code data-testid=${testId}>${value}</code></dd>`)}
    </dl>
    <button type="button" @click=${dismiss}>I have copied it</button>
  </section>`;
}
