/**
 * Just enough of a Go reader for the scope catalogue: tokens, top-level declarations and their
 * bodies. Both godo and the Terraform provider are gofmt-formatted, which keeps this small; it is
 * not a Go parser and does not try to be one.
 */

export type TokenKind = 'ident' | 'string' | 'number' | 'char' | 'punct' | 'newline';

export interface Token {
  kind: TokenKind;
  /** Identifier name, punctuation, or a string literal's decoded value. */
  text: string;
}

export interface GoFunc {
  name: string;
  /** Receiver type name without `*`, for methods. */
  receiverType: string | undefined;
  /** Receiver variable name, for methods (`s` in `func (s *DropletsServiceOp) ...`). */
  receiverName: string | undefined;
  params: string[];
  /** Tokens between the body's braces. */
  body: Token[];
}

export interface GoFile {
  path: string;
  /** Import name (alias or last path element) to import path. */
  imports: Map<string, string>;
  funcs: GoFunc[];
  /** Package-level `const` and `var` specs: name to initialiser tokens (empty when there is none). */
  values: Map<string, Token[]>;
}

const PUNCTUATION = [
  '...', '<<=', '>>=', '&^=', ':=', '==', '!=', '<=', '>=', '&&', '||', '<-', '++', '--', '+=', '-=', '*=', '/=',
  '%=', '&=', '|=', '^=', '<<', '>>', '&^',
];

/** Splits Go source into tokens, dropping comments and keeping newlines (Go ends statements at them). */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === '\n') {
      tokens.push({ kind: 'newline', text: '\n' });
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (source.startsWith('//', i)) {
      const end = source.indexOf('\n', i);
      i = end < 0 ? source.length : end;
    } else if (source.startsWith('/*', i)) {
      const end = source.indexOf('*/', i + 2);
      const comment = source.slice(i, end < 0 ? source.length : end);
      // A block comment spanning lines still ends a statement, as in Go.
      if (comment.includes('\n')) tokens.push({ kind: 'newline', text: '\n' });
      i = end < 0 ? source.length : end + 2;
    } else if (c === '"') {
      const [value, next] = readInterpretedString(source, i);
      tokens.push({ kind: 'string', text: value });
      i = next;
    } else if (c === '`') {
      const end = source.indexOf('`', i + 1);
      tokens.push({ kind: 'string', text: source.slice(i + 1, end < 0 ? source.length : end) });
      i = end < 0 ? source.length : end + 1;
    } else if (c === "'") {
      let j = i + 1;
      while (j < source.length && source[j] !== "'") j += source[j] === '\\' ? 2 : 1;
      tokens.push({ kind: 'char', text: source.slice(i, j + 1) });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i, i + 200))!;
      tokens.push({ kind: 'ident', text: m[0] });
      i += m[0].length;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(source[i + 1] ?? ''))) {
      const m = /^[0-9.]+(?:[eE][+-]?[0-9]+)?[0-9a-fA-FxXoObB_]*i?/.exec(source.slice(i, i + 100))!;
      tokens.push({ kind: 'number', text: m[0] });
      i += m[0].length;
    } else {
      const op = PUNCTUATION.find((p) => source.startsWith(p, i)) ?? c;
      tokens.push({ kind: 'punct', text: op });
      i += op.length;
    }
  }
  return tokens;
}

function readInterpretedString(source: string, start: number): [string, number] {
  let out = '';
  let i = start + 1;
  while (i < source.length && source[i] !== '"') {
    if (source[i] === '\\') {
      const e = source[i + 1] ?? '';
      out += e === 'n' ? '\n' : e === 't' ? '\t' : e;
      i += 2;
    } else {
      out += source[i];
      i++;
    }
  }
  return [out, i + 1];
}

const OPEN: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/** Index just past the bracket that closes the one at `open`. */
export function skipBalanced(tokens: readonly Token[], open: number): number {
  const stack: string[] = [];
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'punct') continue;
    if (OPEN[t.text]) stack.push(OPEN[t.text]!);
    else if (t.text === stack[stack.length - 1]) {
      stack.pop();
      if (stack.length === 0) return i + 1;
    }
  }
  return tokens.length;
}

function isPunct(t: Token | undefined, text: string): boolean {
  return t?.kind === 'punct' && t.text === text;
}

/** Parameter names of a Go parameter list (tokens between the parentheses). */
export function parameterNames(tokens: readonly Token[]): string[] {
  const groups = splitTopLevel(tokens, ',');
  // In Go either every parameter is named or none is; a named group is `name Type`.
  const named = groups.some((g) => g.length >= 2 && g[0]!.kind === 'ident' && !isPunct(g[1], '.'));
  if (!named) return [];
  return groups.map((g) => (g[0]?.kind === 'ident' ? g[0].text : '_'));
}

/** Splits tokens at `separator` outside brackets. */
export function splitTopLevel(tokens: readonly Token[], separator: string): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  for (const t of tokens) {
    if (t.kind === 'punct' && OPEN[t.text]) depth++;
    else if (t.kind === 'punct' && (t.text === ')' || t.text === ']' || t.text === '}')) depth--;
    if (depth === 0 && isPunct(t, separator)) parts.push([]);
    else if (t.kind !== 'newline') parts[parts.length - 1]!.push(t);
  }
  return parts.filter((p, i) => p.length > 0 || i < parts.length - 1);
}

/** Reads one Go file's imports, functions and package-level values. */
export function parseGoFile(path: string, source: string): GoFile {
  const tokens = tokenize(source);
  const file: GoFile = { path, imports: new Map(), funcs: [], values: new Map() };
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i]!;
    if (t.kind === 'ident' && t.text === 'func') i = readFunc(tokens, i, file);
    else if (t.kind === 'ident' && t.text === 'import') i = readImports(tokens, i + 1, file);
    else if (t.kind === 'ident' && (t.text === 'const' || t.text === 'var')) i = readValues(tokens, i + 1, file);
    else if (t.kind === 'punct' && OPEN[t.text]) i = skipBalanced(tokens, i);
    else i++;
  }
  return file;
}

function readFunc(tokens: readonly Token[], start: number, file: GoFile): number {
  let i = start + 1;
  let receiverType: string | undefined;
  let receiverName: string | undefined;
  if (isPunct(tokens[i], '(')) {
    const end = skipBalanced(tokens, i);
    const inner = tokens.slice(i + 1, end - 1).filter((t) => t.kind === 'ident');
    receiverName = inner.length > 1 ? inner[0]!.text : undefined;
    receiverType = inner[inner.length - 1]?.text;
    i = end;
  }
  const name = tokens[i]?.kind === 'ident' ? tokens[i]!.text : '';
  i++;
  if (isPunct(tokens[i], '[')) i = skipBalanced(tokens, i); // type parameters
  if (!isPunct(tokens[i], '(')) return i;
  const paramsEnd = skipBalanced(tokens, i);
  const params = parameterNames(tokens.slice(i + 1, paramsEnd - 1));
  // Results run to the body's `{`; `interface{}` and `struct{...}` braces there belong to types.
  i = paramsEnd;
  while (i < tokens.length && !isPunct(tokens[i], '{')) {
    if (tokens[i]!.kind === 'newline') return i; // a declaration without a body
    i = isPunct(tokens[i], '(') || isPunct(tokens[i], '[') ? skipBalanced(tokens, i) : i + 1;
    if (isPunct(tokens[i], '{') && (tokens[i - 1]?.text === 'interface' || tokens[i - 1]?.text === 'struct')) {
      i = skipBalanced(tokens, i);
    }
  }
  const bodyEnd = skipBalanced(tokens, i);
  file.funcs.push({ name, receiverType, receiverName, params, body: tokens.slice(i + 1, bodyEnd - 1) });
  return bodyEnd;
}

function readImports(tokens: readonly Token[], start: number, file: GoFile): number {
  const end = isPunct(tokens[start], '(') ? skipBalanced(tokens, start) : nextNewline(tokens, start);
  let alias: string | undefined;
  for (let i = start; i < end; i++) {
    const t = tokens[i]!;
    if (t.kind === 'ident' || isPunct(t, '.')) alias = t.text;
    else if (t.kind === 'string') {
      file.imports.set(alias ?? t.text.slice(t.text.lastIndexOf('/') + 1), t.text);
      alias = undefined;
    }
  }
  return end;
}

function readValues(tokens: readonly Token[], start: number, file: GoFile): number {
  const block = isPunct(tokens[start], '(');
  const end = block ? skipBalanced(tokens, start) : nextNewline(tokens, start);
  const specs = block ? splitStatements(tokens.slice(start + 1, end - 1)) : [tokens.slice(start, end)];
  for (const spec of specs) {
    const eq = spec.findIndex((t) => isPunct(t, '='));
    const values = eq < 0 ? [] : splitTopLevel(spec.slice(eq + 1), ',');
    // `a, b = 1, 2` pairs up; `a string` (no initialiser) records an empty one.
    const declared = splitTopLevel(eq < 0 ? spec : spec.slice(0, eq), ',').map((g) => g[0]);
    declared.forEach((n, k) => {
      if (n?.kind === 'ident') file.values.set(n.text, values[k] ?? []);
    });
  }
  return end;
}

function nextNewline(tokens: readonly Token[], start: number): number {
  let i = start;
  while (i < tokens.length && tokens[i]!.kind !== 'newline') {
    i = isPunct(tokens[i], '(') || isPunct(tokens[i], '{') || isPunct(tokens[i], '[') ? skipBalanced(tokens, i) : i + 1;
  }
  return i;
}

const BLOCK_KEYWORDS = new Set(['if', 'for', 'switch', 'select', 'else', 'go', 'defer', 'case', 'default']);

/**
 * Splits a body into simple statements. A `{` opens a block after `if`/`for`/... (or on its own);
 * anywhere else it is a composite literal or closure and stays inside the statement.
 */
export function splitStatements(body: readonly Token[]): Token[][] {
  const statements: Token[][] = [];
  let current: Token[] = [];
  let depth = 0;
  const flush = () => {
    if (current.length > 0) statements.push(current);
    current = [];
  };
  for (const t of body) {
    const opensBlock = isPunct(t, '{') && depth === 0 && (current.length === 0 || BLOCK_KEYWORDS.has(current[0]!.text));
    if (opensBlock) flush();
    else if (depth === 0 && (t.kind === 'newline' || isPunct(t, ';') || isPunct(t, '}'))) flush();
    else {
      if (t.kind === 'punct' && OPEN[t.text]) depth++;
      else if (t.kind === 'punct' && (t.text === ')' || t.text === ']' || t.text === '}')) depth--;
      if (t.kind !== 'newline') current.push(t);
    }
  }
  flush();
  return statements;
}
