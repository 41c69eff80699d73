import { describe, expect, it } from 'vitest';
import {
  ExpositionWriter,
  escapeHelp,
  escapeLabelValue,
  formatValue,
  label,
} from '../../src/exporters/serializer.ts';
import { escapeHtml, html, raw } from '../../src/exporters/pages/html.ts';

describe('exposition serializer', () => {
  it('escapes backslash, double quote and newline in label values, and nothing else', () => {
    expect(escapeLabelValue('ap-1')).toBe('ap-1');
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    expect(label('access_point', 'x"y')).toBe('access_point="x\\"y"');
  });

  it('escapes backslash and newline in HELP text', () => {
    expect(escapeHelp('a\\b\nc "d"')).toBe('a\\\\b\\nc "d"');
  });

  it('formats special float values as the format spells them', () => {
    expect([NaN, Infinity, -Infinity, 0, 2.5, 1e21].map(formatValue)).toEqual([
      'NaN',
      '+Inf',
      '-Inf',
      '0',
      '2.5',
      '1e+21',
    ]);
  });

  it('writes HELP, TYPE and samples with and without labels', () => {
    const w = new ExpositionWriter();
    w.family('pmip_x_total', 'counter', 'X (MIB: x).');
    w.sample('pmip_x_total', 'a="1"', 3);
    w.sample('pmip_x_total', '', 4);
    expect(w.text()).toBe(
      '# HELP pmip_x_total X (MIB: x).\n# TYPE pmip_x_total counter\npmip_x_total{a="1"} 3\npmip_x_total 4\n',
    );
  });
});

describe('html template', () => {
  it('escapes every interpolated value unless it is trusted markup', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const evil = '<script>alert(1)</script>';
    expect(html`<td>${evil}</td>`.text).toBe('<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>');
    expect(html`<td>${[html`<b>${'x<'}</b>`, raw('<i>y</i>')]}</td>`.text).toBe(
      '<td><b>x&lt;</b><i>y</i></td>',
    );
    expect(html`${null}${undefined}${false}${0}`.text).toBe('0');
  });
});
