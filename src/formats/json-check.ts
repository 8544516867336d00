/**
 * Finds where a text stops being JSON (RFC 8259), as an offset, or -1 when it is valid.
 * JSON.parse says *that* a text is invalid but not always *where*; this says where, so the
 * error can name a line. Iterative over the nesting, linear in the input.
 */
export function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i] as string)) i++;
  };
  const string = (): boolean => {
    if (text[i] !== '"') return false;
    for (i++; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 34) return i++, true;
      if (c < 32) return false;
      if (c === 92) {
        const e = text[++i] ?? '';
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) return false;
          i += 4;
        } else if (!'"\\/bfnrt'.includes(e) || e === '') return false;
      }
    }
    return false;
  };
  const scalar = (): boolean => {
    const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!m) return false;
    i += m[0].length;
    return true;
  };
  // Stack of open containers: '{' or '['; `expect` is what may come next.
  const stack: string[] = [];
  let expect: 'value' | 'key' | 'after' = 'value';
  ws();
  while (i < text.length || stack.length > 0 || expect === 'value') {
    ws();
    if (i >= text.length) return stack.length === 0 && expect === 'after' ? -1 : i;
    const c = text[i] as string;
    if (expect === 'key') {
      if (!string()) return i;
      ws();
      if (text[i] !== ':') return i;
      i++;
      expect = 'value';
      continue;
    }
    if (expect === 'value') {
      if (c === '{' || c === '[') {
        const close = c === '{' ? '}' : ']';
        i++;
        ws();
        if (text[i] === close) {
          i++; // an empty container is a complete value
          expect = 'after';
        } else {
          stack.push(c);
          expect = c === '{' ? 'key' : 'value';
        }
        continue;
      }
      if (!(c === '"' ? string() : scalar())) return i;
      expect = 'after';
      continue;
    }
    // after a value
    const top = stack[stack.length - 1];
    if (top === undefined) return i; // trailing garbage
    if (c === ',') {
      i++;
      expect = top === '{' ? 'key' : 'value';
      continue;
    }
    if ((c === '}' && top === '{') || (c === ']' && top === '[')) {
      stack.pop();
      i++;
      if (stack.length === 0) {
        ws();
        return i === text.length ? -1 : i;
      }
      continue;
    }
    return i;
  }
  return -1;
}
