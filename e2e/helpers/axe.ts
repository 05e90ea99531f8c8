import AxeBuilder from '@axe-core/playwright';
import { expect, type Page, test } from '@playwright/test';

/** axe-core on the page as it is now: serious and critical violations fail, the rest is attached to the report. */
export async function expectNoSeriousViolations(page: Page, state: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  await test.info().attach(`axe: ${state}`, {
    body: JSON.stringify(
      results.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target) })),
      null,
      2,
    ),
    contentType: 'application/json',
  });
  expect(
    serious.map(
      (v) => `${state}: ${v.id} (${v.impact}) ${v.nodes.map((n) => JSON.stringify(n.target)).join(' ')}`,
    ),
  ).toEqual([]);
}
