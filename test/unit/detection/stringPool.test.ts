import { describe, expect, it } from 'vitest';
import { StringPool } from '../../../shared/detection/engine/stringPool.js';

describe('StringPool', () => {
  it('keeps one entry per distinct string and hands back equal strings', () => {
    const pool = new StringPool(10);
    const decoded = ['data.read', 'data.read', 'kb.articles.3', 'data.read'].map((s) => new TextDecoder().decode(new TextEncoder().encode(s)));
    expect(decoded.map((s) => pool.intern(s))).toEqual(['data.read', 'data.read', 'kb.articles.3', 'data.read']);
    expect(pool.size).toBe(2);
  });

  it('stops growing at its bound (hostile input: a million distinct names cost no more than the bound)', () => {
    const pool = new StringPool(100);
    for (let i = 0; i < 10_000; i++) expect(pool.intern(`resource-${i}`)).toBe(`resource-${i}`);
    expect(pool.size).toBe(100);
  });
});
