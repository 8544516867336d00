import { describe, expect, it } from 'vitest';
import { ParseError } from '../../../src/errors.js';
import { parseFormat } from '../../../src/formats/index.js';

describe('YAML and JSON parsing', () => {
  it('reports the line of a syntax error without quoting the text', () => {
    let err: unknown;
    try {
      parseFormat('a: 1\nb: [1, 2\npassword: hunter2\n', 'live/x.yaml', 'yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ParseError);
    expect((err as ParseError).message).toMatch(/^live\/x\.yaml:\d+: invalid YAML/);
    expect((err as ParseError).message).not.toContain('hunter2');
  });

  it('rejects duplicate keys with their line', () => {
    expect(() => parseFormat('a: 1\nb: 2\na: 3\n', 'f.yaml', 'yaml')).toThrow(/f\.yaml:3: invalid YAML/);
  });

  it('parses JSON with lines for each path', () => {
    const tree = parseFormat('{\n  "backends": {\n    "api": {"algorithm": "first"}\n  }\n}\n', 'c.json', 'json');
    expect(tree.root).toEqual({ backends: { api: { algorithm: 'first' } } });
    expect(tree.lines.get('backends.api.algorithm')).toBe(3);
  });

  it('refuses an alias bomb instead of hanging', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++) bomb.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`);
    expect(() => parseFormat(bomb.join('\n'), 'bomb.yaml', 'yaml')).toThrow(ParseError);
  });
});
