import { describe, expect, it } from 'vitest';
import { jsonErrorOffset } from '../../../src/formats/json-check.js';

describe('jsonErrorOffset', () => {
  it('accepts what JSON.parse accepts', () => {
    for (const ok of ['{}', '[]', ' {"a": [1, 2.5e3, -0, true, false, null, "x\\u00e9\\n"], "b": {}} ', '"s"', '12', '[[[]]]']) {
      expect(jsonErrorOffset(ok), ok).toBe(-1);
      expect(() => JSON.parse(ok)).not.toThrow();
    }
  });

  it('finds where invalid JSON goes wrong', () => {
    expect(jsonErrorOffset('{"a": 1,}')).toBe(8);
    expect(jsonErrorOffset('[1, 2,]')).toBe(6);
    expect(jsonErrorOffset('{"a" 1}')).toBe(5);
    expect(jsonErrorOffset("{'a': 1}")).toBe(1);
    expect(jsonErrorOffset('{"a": 01}')).toBe(7);
    expect(jsonErrorOffset('{"a": [1, 2}')).toBe(11);
    expect(jsonErrorOffset('{"a": 1')).toBe(7);
    expect(jsonErrorOffset('{} x')).toBe(3);
    expect(jsonErrorOffset('')).toBe(0);
  });

  it('agrees with JSON.parse on random mutations (seeded)', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const base = '{"apps": {"http": {"servers": {"s": {"listen": [":80"], "routes": [{"handle": [{"handler": "x", "n": 1.5}]}]}}}}}';
    for (let n = 0; n < 5_000; n++) {
      const chars = [...base];
      for (let k = 0; k < 3; k++) chars.splice(Math.floor(rand() * chars.length), rand() < 0.5 ? 1 : 0, '{}[],:"1 e-'[Math.floor(rand() * 11)] as string);
      const text = chars.join('');
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      expect(jsonErrorOffset(text) === -1, text).toBe(valid);
    }
  });
});
