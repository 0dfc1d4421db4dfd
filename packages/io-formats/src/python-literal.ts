import { CorruptFileError } from '@quiver/core-math';

/**
 * A parser for the tiny subset of Python literals that .npy headers use (what `ast.literal_eval`
 * sees there): dicts, tuples, lists, strings, integers, True/False/None. It evaluates nothing.
 */
export type PyValue = string | number | boolean | null | PyTuple | PyList | PyDict;
export interface PyTuple {
  readonly type: 'tuple';
  readonly items: PyValue[];
}
export interface PyList {
  readonly type: 'list';
  readonly items: PyValue[];
}
export interface PyDict {
  readonly type: 'dict';
  readonly entries: Map<string, PyValue>;
}

const MAX_DEPTH = 32;

export function parsePythonLiteral(text: string, context: string): PyValue {
  let pos = 0;
  const fail = (message: string): never => {
    throw new CorruptFileError('header', `${context}: ${message} at character ${pos} of the header`);
  };
  const skipSpace = (): void => {
    while (pos < text.length && ' \t\r\n'.includes(text[pos]!)) pos++;
  };

  const parseString = (): string => {
    const quote = text[pos]!;
    pos++;
    let out = '';
    while (pos < text.length && text[pos] !== quote) {
      if (text[pos] === '\\') fail('escape sequences are not supported in header strings');
      out += text[pos];
      pos++;
    }
    if (pos >= text.length) fail('unterminated string');
    pos++;
    return out;
  };

  const parseNumber = (): number => {
    const start = pos;
    if (text[pos] === '-' || text[pos] === '+') pos++;
    while (pos < text.length && text[pos]! >= '0' && text[pos]! <= '9') pos++;
    const digits = text.slice(start, pos);
    if (!/^[-+]?\d+$/.test(digits)) fail('malformed number');
    if (text[pos] === 'L' || text[pos] === 'l') pos++; // Python 2 long suffix, found in old files
    const value = Number(digits);
    if (!Number.isSafeInteger(value)) {
      throw new CorruptFileError('limit', `${context}: integer ${digits} in the header exceeds 2^53`);
    }
    return value;
  };

  const parseSequence = (close: string, depth: number): { items: PyValue[]; trailingComma: boolean } => {
    const items: PyValue[] = [];
    let trailingComma = false;
    for (;;) {
      skipSpace();
      if (text[pos] === close) {
        pos++;
        return { items, trailingComma };
      }
      items.push(parseValue(depth + 1));
      skipSpace();
      trailingComma = false;
      if (text[pos] === ',') {
        pos++;
        trailingComma = true;
      } else if (text[pos] !== close) {
        fail(`expected ',' or '${close}'`);
      }
    }
  };

  const parseValue = (depth: number): PyValue => {
    if (depth > MAX_DEPTH) fail('nesting too deep');
    skipSpace();
    const c = text[pos];
    if (c === undefined) return fail('unexpected end');
    if (c === "'" || c === '"') return parseString();
    if (c === '(') {
      pos++;
      const { items, trailingComma } = parseSequence(')', depth);
      // `(x)` is just x in Python; a one-element tuple needs the comma.
      if (items.length === 1 && !trailingComma) return items[0]!;
      return { type: 'tuple', items };
    }
    if (c === '[') {
      pos++;
      return { type: 'list', items: parseSequence(']', depth).items };
    }
    if (c === '{') {
      pos++;
      const entries = new Map<string, PyValue>();
      for (;;) {
        skipSpace();
        if (text[pos] === '}') {
          pos++;
          return { type: 'dict', entries };
        }
        const key = parseValue(depth + 1);
        if (typeof key !== 'string') fail('dict keys must be strings');
        skipSpace();
        if (text[pos] !== ':') fail("expected ':'");
        pos++;
        if (entries.has(key as string)) fail(`duplicate key '${key as string}'`);
        entries.set(key as string, parseValue(depth + 1));
        skipSpace();
        if (text[pos] === ',') pos++;
        else if (text[pos] !== '}') fail("expected ',' or '}'");
      }
    }
    for (const [word, value] of [
      ['True', true],
      ['False', false],
      ['None', null],
    ] as const) {
      if (text.startsWith(word, pos)) {
        pos += word.length;
        return value;
      }
    }
    if (c === '-' || c === '+' || (c >= '0' && c <= '9')) return parseNumber();
    return fail(`unexpected character '${c}'`);
  };

  const value = parseValue(0);
  skipSpace();
  if (pos !== text.length) fail('trailing characters after the literal');
  return value;
}
