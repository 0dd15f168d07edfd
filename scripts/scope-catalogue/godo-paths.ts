/**
 * Works out which HTTP request each godo service method sends, by interpreting the small part of
 * Go that godo uses to build request paths: string constants, `+`, `fmt.Sprintf`, `path.Join`,
 * local variables, and calls to helpers (`s.doAction(...)`, `dropletActionPath(id)`) whose
 * arguments are bound to their parameters. Anything not constant (an ID, a name) becomes `{}`.
 */
import { type GoFile, type GoFunc, type Token, skipBalanced, splitStatements, splitTopLevel } from './go-source.js';

/** A string built from constants, `{}` standing for each non-constant part; null when unknown. */
export type Value = string | null;

export interface GodoRequest {
  method: string | null;
  /** Path as godo builds it, with `{}` for non-constant parts (query string still attached). */
  path: string | null;
}

export interface GodoIndex {
  /** godo.Client field ("Droplets") to the type implementing it ("DropletsServiceOp"). */
  services: Map<string, string>;
  /** Type name to its methods. */
  methods: Map<string, Map<string, GoFunc>>;
  /** Package-level functions. */
  funcs: Map<string, GoFunc>;
  /** Package-level constants and variables (initialiser tokens). */
  values: Map<string, Token[]>;
}

export function indexGodo(files: readonly GoFile[]): GodoIndex {
  const index: GodoIndex = { services: new Map(), methods: new Map(), funcs: new Map(), values: new Map() };
  for (const file of files) {
    for (const [name, tokens] of file.values) index.values.set(name, tokens);
    for (const fn of file.funcs) {
      if (fn.receiverType === undefined) index.funcs.set(fn.name, fn);
      else {
        const methods = index.methods.get(fn.receiverType) ?? new Map<string, GoFunc>();
        methods.set(fn.name, fn);
        index.methods.set(fn.receiverType, methods);
      }
    }
  }
  for (const file of files) for (const fn of file.funcs) collectServiceAssignments(fn.body, index.services);
  return index;
}

/**
 * `c.Droplets = &DropletsServiceOp{client: c}` in godo's NewClient. The `client:` field tells a
 * service apart from other values built the same way.
 */
function collectServiceAssignments(body: readonly Token[], services: Map<string, string>): void {
  for (let i = 0; i + 7 < body.length; i++) {
    const [a, dot, field, eq, amp, type, brace, key] = body.slice(i, i + 8);
    if (
      a?.kind === 'ident' && dot?.text === '.' && field?.kind === 'ident' && eq?.text === '=' &&
      amp?.text === '&' && type?.kind === 'ident' && brace?.text === '{' && key?.text === 'client'
    ) {
      services.set(field.text, type.text);
    }
  }
}

// ---- Expressions -------------------------------------------------------------------------------

export type Expr =
  | { kind: 'string'; value: string }
  | { kind: 'name'; parts: string[] }
  | { kind: 'call'; callee: string[] | null; args: Expr[]; inner: Expr[] }
  | { kind: 'binary'; op: string; left: Expr; right: Expr }
  | { kind: 'other'; inner: Expr[] };

const BINARY = new Set(['+', '-', '*', '/', '%', '&', '|', '^', '<<', '>>', '&^', '&&', '||', '==', '!=', '<', '<=', '>', '>=']);
const UNARY = new Set(['&', '*', '!', '-', '+', '^', '<-']);
const TYPE_KEYWORDS = new Set(['map', 'struct', 'interface', 'chan']);

/** A forgiving expression parser: unknown syntax becomes `other` instead of an error. */
class ExprParser {
  pos = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.pos + offset];
  }

  private isPunct(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t?.kind === 'punct' && t.text === text;
  }

  parseList(): Expr[] {
    const list: Expr[] = [];
    while (this.pos < this.tokens.length && !this.isPunct(')')) {
      const start = this.pos;
      list.push(this.parseExpr());
      if (this.isPunct('...')) this.pos++;
      if (this.isPunct(',')) this.pos++;
      else if (this.pos === start) this.pos++; // never stall on an unexpected token
      else if (!this.isPunct(')')) break;
    }
    return list;
  }

  parseExpr(): Expr {
    let left = this.parseUnary();
    while (this.peek()?.kind === 'punct' && BINARY.has(this.peek()!.text)) {
      const op = this.peek()!.text;
      this.pos++;
      left = { kind: 'binary', op, left, right: this.parseUnary() };
    }
    return left;
  }

  private parseUnary(): Expr {
    const t = this.peek();
    if (t?.kind === 'punct' && UNARY.has(t.text)) {
      this.pos++;
      const operand = this.parseUnary();
      // `&x` and `*x` keep x's value; the others do not make strings.
      return t.text === '&' || t.text === '*' ? operand : { kind: 'other', inner: [operand] };
    }
    return this.parsePostfix(this.parsePrimary());
  }

  private parsePrimary(): Expr {
    const t = this.peek();
    if (!t) return { kind: 'other', inner: [] };
    if (t.kind === 'string') {
      this.pos++;
      return { kind: 'string', value: t.text };
    }
    if (t.kind === 'ident' && t.text === 'func') return this.skipFuncLiteral();
    if (t.kind === 'ident' && TYPE_KEYWORDS.has(t.text)) return this.skipTypeLiteral();
    if (t.kind === 'ident') return this.parseName();
    if (t.kind === 'punct' && t.text === '(') {
      this.pos++;
      const inner = this.parseExpr();
      if (this.isPunct(')')) this.pos++;
      return inner;
    }
    if (t.kind === 'punct' && t.text === '[') return this.skipTypeLiteral();
    this.pos++;
    return { kind: 'other', inner: [] };
  }

  private parseName(): Expr {
    const parts = [this.peek()!.text];
    this.pos++;
    while (this.isPunct('.') && this.peek(1)?.kind === 'ident') {
      parts.push(this.peek(1)!.text);
      this.pos += 2;
    }
    return { kind: 'name', parts };
  }

  private parsePostfix(expr: Expr): Expr {
    for (;;) {
      if (this.isPunct('(')) {
        this.pos++;
        const args = this.parseList();
        if (this.isPunct(')')) this.pos++;
        expr = { kind: 'call', callee: expr.kind === 'name' ? expr.parts : null, args, inner: expr.kind === 'name' ? [] : [expr] };
      } else if (this.isPunct('.') && this.peek(1)?.kind === 'ident') {
        // A selector on a call result, e.g. `s.client.Foo().Bar`: the name is no longer static.
        this.pos += 2;
        expr = { kind: 'other', inner: [expr] };
      } else if (this.isPunct('.') && this.isPunct('(', 1)) {
        this.pos = skipBalanced(this.tokens, this.pos + 1); // type assertion
        expr = { kind: 'other', inner: [expr] };
      } else if (this.isPunct('[') || (this.isPunct('{') && expr.kind === 'name')) {
        this.pos = skipBalanced(this.tokens, this.pos); // index, or composite literal
        expr = { kind: 'other', inner: [expr] };
      } else return expr;
    }
  }

  private skipFuncLiteral(): Expr {
    this.pos++;
    while (this.pos < this.tokens.length && !this.isPunct('{')) {
      this.pos = this.isPunct('(') ? skipBalanced(this.tokens, this.pos) : this.pos + 1;
    }
    this.pos = skipBalanced(this.tokens, this.pos);
    return { kind: 'other', inner: [] };
  }

  private skipTypeLiteral(): Expr {
    // `[]T{...}`, `map[K]V{...}`, `struct{...}{...}`: a value, never a path.
    while (this.pos < this.tokens.length) {
      const t = this.peek()!;
      if (t.kind === 'punct' && (t.text === '[' || t.text === '(')) this.pos = skipBalanced(this.tokens, this.pos);
      else if (t.kind === 'punct' && t.text === '{') {
        const prev = this.tokens[this.pos - 1]?.text;
        this.pos = skipBalanced(this.tokens, this.pos);
        if (prev !== 'struct' && prev !== 'interface') break;
      } else if (t.kind === 'ident' || (t.kind === 'punct' && (t.text === '.' || t.text === '*'))) this.pos++;
      else break;
    }
    return { kind: 'other', inner: [] };
  }
}

export function parseExpression(tokens: readonly Token[]): Expr {
  return new ExprParser(tokens).parseExpr();
}

// ---- Interpreting ------------------------------------------------------------------------------

const HTTP_METHODS: Record<string, string> = {
  MethodGet: 'GET', MethodPost: 'POST', MethodPut: 'PUT', MethodPatch: 'PATCH', MethodDelete: 'DELETE', MethodHead: 'HEAD',
};

/** Helpers are followed this deep (doAction -> dropletActionPath is two). */
const MAX_DEPTH = 4;

interface Frame {
  fn: GoFunc;
  vars: Map<string, Value>;
  depth: number;
  requests: GodoRequest[];
}

export class GodoInterpreter {
  private readonly constants = new Map<string, Value>();
  private readonly evaluating = new Set<string>();

  constructor(private readonly index: GodoIndex) {}

  /** The requests `client.<service>.<method>(...)` sends; empty when godo has no such method. */
  requestsOf(service: string, method: string): GodoRequest[] {
    const type = this.index.services.get(service);
    const fn = type === undefined ? undefined : this.index.methods.get(type)?.get(method);
    if (!fn) return [];
    const requests: GodoRequest[] = [];
    this.invoke(fn, [], 0, requests);
    const seen = new Set<string>();
    return requests.filter((r) => {
      const key = `${r.method} ${r.path}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  /** Whether `name` is a godo.Client service field ("Droplets"). */
  isService(name: string): boolean {
    return this.index.services.has(name);
  }

  hasMethod(service: string, method: string): boolean {
    const type = this.index.services.get(service);
    return type !== undefined && this.index.methods.get(type)?.has(method) === true;
  }

  private invoke(fn: GoFunc, args: readonly Value[], depth: number, requests: GodoRequest[]): Value {
    if (depth > MAX_DEPTH) return null;
    const vars = new Map<string, Value>();
    fn.params.forEach((p, i) => vars.set(p, args[i] ?? null));
    const frame: Frame = { fn, vars, depth, requests };
    let result: Value = null;
    for (const statement of splitStatements(fn.body)) {
      const value = this.runStatement(statement, frame);
      // A path helper's answer is its first return of a string (later ones are error paths).
      if (result === null && value !== undefined) result = value;
    }
    return result;
  }

  /** Runs one statement; returns the value of a `return`, undefined for other statements. */
  private runStatement(tokens: Token[], frame: Frame): Value | undefined {
    let start = 0;
    while (tokens[start]?.kind === 'ident' && ['if', 'for', 'switch', 'else', 'go', 'defer', 'case'].includes(tokens[start]!.text)) start++;
    const body = tokens.slice(start);
    if (body[0]?.text === 'return') {
      const values = splitTopLevel(body.slice(1), ',').map((e) => this.evaluate(parseExpression(e), frame));
      return values[0] ?? null;
    }
    if (body[0]?.text === 'var') return this.runVar(body.slice(1), frame);
    const assign = body.findIndex((t) => t.kind === 'punct' && (t.text === ':=' || t.text === '=' || t.text === '+='));
    if (assign < 0) {
      for (const e of splitTopLevel(body, ',')) this.evaluate(parseExpression(e), frame);
      return undefined;
    }
    const names = splitTopLevel(body.slice(0, assign), ',').map((g) => (g.length === 1 && g[0]!.kind === 'ident' ? g[0]!.text : undefined));
    const values = splitTopLevel(body.slice(assign + 1), ',').map((e) => this.evaluate(parseExpression(e), frame));
    const op = body[assign]!.text;
    names.forEach((name, i) => {
      if (name === undefined || name === '_') return;
      // `path, err := addOptions(...)`: one call, several results; the first is the string.
      const value = values.length === names.length ? values[i] ?? null : i === 0 ? values[0] ?? null : null;
      frame.vars.set(name, op === '+=' ? concat(frame.vars.get(name) ?? null, value) : value);
    });
    return undefined;
  }

  private runVar(tokens: Token[], frame: Frame): undefined {
    const eq = tokens.findIndex((t) => t.kind === 'punct' && t.text === '=');
    const name = tokens[0]?.kind === 'ident' ? tokens[0].text : undefined;
    if (name) frame.vars.set(name, eq < 0 ? null : this.evaluate(parseExpression(tokens.slice(eq + 1)), frame));
    return undefined;
  }

  private evaluate(expr: Expr, frame: Frame | undefined): Value {
    switch (expr.kind) {
      case 'string':
        return expr.value;
      case 'name':
        return this.evaluateName(expr.parts, frame);
      case 'binary': {
        const left = this.evaluate(expr.left, frame);
        const right = this.evaluate(expr.right, frame);
        return expr.op === '+' ? concat(left, right) : null;
      }
      case 'call':
        return this.evaluateCall(expr, frame);
      case 'other':
        for (const e of expr.inner) this.evaluate(e, frame);
        return null;
    }
  }

  private evaluateName(parts: readonly string[], frame: Frame | undefined): Value {
    if (parts.length === 2 && parts[0] === 'http') return HTTP_METHODS[parts[1]!] ?? null;
    if (parts.length !== 1) return null;
    const name = parts[0]!;
    if (frame?.vars.has(name)) return frame.vars.get(name) ?? null;
    return this.constant(name);
  }

  /** Package-level constants and variables (`dropletBasePath`), evaluated once. */
  private constant(name: string): Value {
    if (this.constants.has(name)) return this.constants.get(name) ?? null;
    const tokens = this.index.values.get(name);
    if (!tokens || tokens.length === 0 || this.evaluating.has(name)) return null;
    this.evaluating.add(name);
    const value = this.evaluate(parseExpression(tokens), undefined);
    this.evaluating.delete(name);
    this.constants.set(name, value);
    return value;
  }

  private evaluateCall(call: Extract<Expr, { kind: 'call' }>, frame: Frame | undefined): Value {
    for (const e of call.inner) this.evaluate(e, frame);
    const args = call.args.map((a) => this.evaluate(a, frame));
    const callee = call.callee ?? [];
    const last = callee[callee.length - 1];
    const qualified = callee.join('.');
    if (last === 'NewRequest' && callee.length >= 2 && frame) {
      frame.requests.push({ method: args[1] ?? null, path: args[2] ?? null });
      return null;
    }
    if (qualified === 'fmt.Sprintf') return sprintf(args[0] ?? null, args.slice(1));
    if (qualified === 'path.Join' || qualified === 'url.JoinPath') return joinPath(args);
    // godo.go addOptions(s, opt) only appends a query string built from opt.
    if (qualified === 'addOptions') return args[0] ?? null;
    if (!frame) return null;
    const target = this.callTarget(callee, frame);
    return target ? this.invoke(target, args, frame.depth + 1, frame.requests) : null;
  }

  /** The godo function a call runs: a method on the same receiver, another service, or a package function. */
  private callTarget(callee: readonly string[], frame: Frame): GoFunc | undefined {
    const { receiverName, receiverType } = frame.fn;
    if (callee.length === 2 && callee[0] === receiverName && receiverType !== undefined) {
      return this.index.methods.get(receiverType)?.get(callee[1]!);
    }
    if (callee.length === 4 && callee[0] === receiverName && callee[1] === 'client') {
      const type = this.index.services.get(callee[2]!);
      return type === undefined ? undefined : this.index.methods.get(type)?.get(callee[3]!);
    }
    if (callee.length === 1 && !frame.vars.has(callee[0]!)) return this.index.funcs.get(callee[0]!);
    return undefined;
  }
}

/** `+` on strings; a non-constant operand becomes `{}` so the path keeps its shape. */
export function concat(left: Value, right: Value): Value {
  if (left === null && right === null) return null;
  return (left ?? '{}') + (right ?? '{}');
}

/** fmt.Sprintf with every verb taking its argument's value, or `{}` when it is not constant. */
export function sprintf(format: Value, args: readonly Value[]): Value {
  if (format === null) return null;
  let next = 0;
  return format.replace(/%([-+# 0]*[0-9]*(?:\.[0-9]+)?)?([a-zA-Z%])/g, (_m, _flags, verb: string) => {
    if (verb === '%') return '%';
    return args[next++] ?? '{}';
  });
}

/** path.Join: joined with `/` and cleaned of doubled or trailing slashes. */
export function joinPath(parts: readonly Value[]): Value {
  if (parts.length === 0 || parts[0] === null) return null;
  const joined = parts.map((p) => p ?? '{}').filter((p) => p !== '').join('/');
  return joined.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
}
