import { describe, expect, it } from 'vitest';
import { REPLY_CODES, replyCode } from '../../src/pmip/reply-codes.ts';

describe('reply-code table', () => {
  it('classifies accepted, foreign-agent and home-agent codes by the RFC 5944 ranges', () => {
    expect(replyCode(0)).toMatchObject({ accepted: true, issuer: 'home-agent', reason: 'accepted' });
    expect(replyCode(1)).toMatchObject({ accepted: true, issuer: 'home-agent' });
    expect(replyCode(69)).toMatchObject({
      accepted: false,
      issuer: 'foreign-agent',
      reason: 'fa_lifetime_too_long',
    });
    expect(replyCode(133)).toMatchObject({
      accepted: false,
      issuer: 'home-agent',
      reason: 'ha_identification_mismatch',
    });
    for (const info of REPLY_CODES.values()) {
      if (info.code >= 64 && info.code <= 127) expect(info.issuer).toBe('foreign-agent');
      if (info.code >= 128) expect(info.issuer).toBe('home-agent');
    }
  });

  it('gives every known code a unique snake_case reason usable as a label value', () => {
    const reasons = [...REPLY_CODES.values()].map((i) => i.reason);
    expect(new Set(reasons).size).toBe(reasons.length);
    for (const r of reasons) expect(r).toMatch(/^[a-z][a-z0-9_]*$/);
  });

  it('classifies unassigned codes by range and never as accepted', () => {
    expect(replyCode(120)).toMatchObject({
      known: false,
      issuer: 'foreign-agent',
      accepted: false,
      reason: 'fa_unassigned_120',
    });
    expect(replyCode(190)).toMatchObject({ known: false, issuer: 'home-agent', accepted: false });
    expect(replyCode(30)).toMatchObject({ known: false, issuer: 'unknown', accepted: false });
  });
});

describe('replyCode lookups', () => {
  it('answers the same for a byte asked twice, and for values that are not a byte', () => {
    for (const code of [0, 1, 65, 131, 133, 200, 255]) {
      const first = replyCode(code);
      expect(replyCode(code)).toBe(first);
      expect(first.code).toBe(code);
    }
    // Not a byte: looked up every time, never stored in the byte table under another index.
    expect(replyCode(256).code).toBe(256);
    expect(replyCode(256).accepted).toBe(false);
    expect(replyCode(-1).code).toBe(-1);
    expect(replyCode(255).code).toBe(255);
    expect(replyCode(1.5).accepted).toBe(false);
    expect(replyCode(1).accepted).toBe(true);
  });
});
