/**
 * Generated files are committed and must not drift from their generator: the dashboards JSON
 * and the JSON schema in dashboards/ are exactly what `npm run dashboards` writes.
 */
import { describe, expect, it } from 'vitest';
import { renderDashboards, renderSchema } from '../../dashboards/src/generate.ts';
import { DASHBOARDS, SCHEMA_FILE, committedDashboards, committedText } from './committed.ts';

const HINT = 'out of date: run `npm run dashboards` and commit the result';

describe('the committed dashboards match their generator', () => {
  const rendered = renderDashboards();

  it('generates one file per dashboard and nothing else is committed beside them', () => {
    expect(Object.keys(rendered).sort()).toEqual(Object.keys(DASHBOARDS).sort());
    expect(committedDashboards().map((d) => d.file)).toEqual(Object.keys(DASHBOARDS).sort());
  });

  for (const [file, text] of Object.entries(rendered)) {
    it(`dashboards/${file} is what the generator writes`, () => {
      expect(committedText(file), `dashboards/${file} ${HINT}`).toBe(text);
    });
  }

  it(`dashboards/${SCHEMA_FILE} is what the schema generator writes from the SDK's types`, () => {
    expect(committedText(SCHEMA_FILE), `dashboards/${SCHEMA_FILE} ${HINT}`).toBe(renderSchema());
  }, 60_000);
});
