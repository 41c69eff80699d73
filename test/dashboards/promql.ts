/**
 * A small PromQL parser for the dashboard lint rules: enough of the language to walk a query's
 * syntax tree (selectors and their matchers, range selectors, function calls, aggregations,
 * binary operators) the way the Go dashboard-linter walks Prometheus's own AST. Whether an
 * expression is valid PromQL is promtool's and Prometheus's call (test/dashboards/queries.test.ts);
 * this parser refuses what it does not know, so an unknown construct fails loudly, not silently.
 *
 * Grafana variables are allowed where the dashboards use them: inside label values (`"$job"`) and
 * as a range (`[$__rate_interval]`).
 */

export interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export type Node =
  | { kind: 'number'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'vector'; name: string | undefined; matchers: Matcher[] }
  | { kind: 'matrix'; vector: Extract<Node, { kind: 'vector' }>; range: string }
  | { kind: 'call'; func: string; args: Node[] }
  | {
      kind: 'aggregate';
      op: string;
      grouping: string[];
      without: boolean;
      param: Node | undefined;
      expr: Node;
    }
  | { kind: 'binary'; op: string; lhs: Node; rhs: Node; bool: boolean }
  | { kind: 'unary'; op: '-' | '+'; expr: Node }
  | { kind: 'paren'; expr: Node };

const AGGREGATIONS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
]);

/** Functions a query may call (PromQL's, of Prometheus 2.42, that the dashboards could use). */
const FUNCTIONS = new Set([
  'abs',
  'absent',
  'absent_over_time',
  'avg_over_time',
  'ceil',
  'changes',
  'clamp',
  'clamp_max',
  'clamp_min',
  'count_over_time',
  'delta',
  'deriv',
  'floor',
  'histogram_quantile',
  'idelta',
  'increase',
  'irate',
  'label_replace',
  'last_over_time',
  'max_over_time',
  'min_over_time',
  'quantile_over_time',
  'rate',
  'resets',
  'round',
  'scalar',
  'sort',
  'sort_desc',
  'sum_over_time',
  'time',
  'timestamp',
  'vector',
]);

/** Binary operators by precedence, lowest first. */
const PRECEDENCE: ReadonlyArray<readonly string[]> = [
  ['or'],
  ['and', 'unless'],
  ['==', '!=', '<=', '<', '>=', '>'],
  ['+', '-'],
  ['*', '/', '%', 'atan2'],
  ['^'],
];
const COMPARISONS = new Set(PRECEDENCE[2]);

type Token =
  | { t: 'ident'; v: string }
  | { t: 'number'; v: number }
  | { t: 'string'; v: string }
  | { t: 'range'; v: string }
  | { t: 'punct'; v: string }
  | { t: 'end' };

export class PromQLSyntaxError extends Error {
  override readonly name = 'PromQLSyntaxError';
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new PromQLSyntaxError(`${why} at ${i} in ${src}`);
  };
  while (i < src.length) {
    const ch = src[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '"' || ch === "'" || ch === '`') {
      let j = i + 1;
      let value = '';
      while (j < src.length && src[j] !== ch) {
        if (src[j] === '\\' && ch !== '`') {
          value += src[j + 1] ?? '';
          j += 2;
        } else value += src[j++];
      }
      if (j >= src.length) fail('unterminated string');
      out.push({ t: 'string', v: value });
      i = j + 1;
    } else if (ch === '[') {
      const j = src.indexOf(']', i);
      if (j < 0) fail('unterminated range');
      const range = src.slice(i + 1, j).trim();
      if (!/^(\$__rate_interval|\$__interval|\$__range|(\d+(ms|s|m|h|d|w|y))+)$/.test(range))
        fail(`bad range [${range}]`);
      out.push({ t: 'range', v: range });
      i = j + 1;
    } else if (/[0-9.]/.test(ch)) {
      const m = /^(\d+\.?\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?)/i.exec(src.slice(i));
      if (!m) fail('bad number');
      out.push({ t: 'number', v: Number(m![0]) });
      i += m![0].length;
    } else if (/[a-zA-Z_:]/.test(ch)) {
      const m = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(src.slice(i))!;
      out.push({ t: 'ident', v: m[0] });
      i += m[0].length;
    } else {
      const two = src.slice(i, i + 2);
      if (['==', '!=', '<=', '>=', '=~', '!~'].includes(two)) {
        out.push({ t: 'punct', v: two });
        i += 2;
      } else if ('(){},=<>+-*/%^'.includes(ch)) {
        out.push({ t: 'punct', v: ch });
        i++;
      } else fail(`unexpected ${ch}`);
    }
  }
  out.push({ t: 'end' });
  return out;
}

class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly src: string,
  ) {}

  private peek(): Token {
    return this.tokens[this.pos]!;
  }
  private next(): Token {
    return this.tokens[this.pos++]!;
  }
  private fail(why: string): never {
    throw new PromQLSyntaxError(`${why} (token ${this.pos}) in ${this.src}`);
  }
  private isPunct(v: string): boolean {
    const t = this.peek();
    return t.t === 'punct' && t.v === v;
  }
  private isIdent(v: string): boolean {
    const t = this.peek();
    return t.t === 'ident' && t.v === v;
  }
  private expect(v: string): void {
    if (!this.isPunct(v)) this.fail(`expected ${v}`);
    this.pos++;
  }

  parse(): Node {
    const node = this.binary(0);
    if (this.peek().t !== 'end') this.fail('trailing input');
    return node;
  }

  private operatorAt(level: number): string | undefined {
    const t = this.peek();
    const ops = PRECEDENCE[level]!;
    if ((t.t === 'punct' || t.t === 'ident') && ops.includes(t.v)) return t.v;
    return undefined;
  }

  private binary(level: number): Node {
    if (level >= PRECEDENCE.length) return this.unary();
    let lhs = this.binary(level + 1);
    for (let op = this.operatorAt(level); op !== undefined; op = this.operatorAt(level)) {
      this.pos++;
      let bool = false;
      if (COMPARISONS.has(op) && this.isIdent('bool')) {
        bool = true;
        this.pos++;
      }
      this.vectorMatching();
      // ^ is right-associative.
      const rhs = op === '^' ? this.binary(level) : this.binary(level + 1);
      lhs = { kind: 'binary', op, lhs, rhs, bool };
    }
    return lhs;
  }

  /** on(...)/ignoring(...) [group_left(...)|group_right(...)]: accepted, not kept. */
  private vectorMatching(): void {
    if (this.isIdent('on') || this.isIdent('ignoring')) {
      this.pos++;
      this.labelList();
      if (this.isIdent('group_left') || this.isIdent('group_right')) {
        this.pos++;
        if (this.isPunct('(')) this.labelList();
      }
    }
  }

  private labelList(): string[] {
    this.expect('(');
    const labels: string[] = [];
    while (!this.isPunct(')')) {
      const t = this.next();
      if (t.t !== 'ident') this.fail('expected a label name');
      labels.push(t.v);
      if (!this.isPunct(')')) this.expect(',');
    }
    this.expect(')');
    return labels;
  }

  private unary(): Node {
    if (this.isPunct('-') || this.isPunct('+')) {
      const op = (this.next() as { v: '-' | '+' }).v;
      return { kind: 'unary', op, expr: this.unary() };
    }
    return this.postfix(this.primary());
  }

  private postfix(node: Node): Node {
    if (this.peek().t === 'range') {
      if (node.kind !== 'vector') this.fail('a range needs a vector selector (subqueries are not supported)');
      return { kind: 'matrix', vector: node, range: (this.next() as { v: string }).v };
    }
    return node;
  }

  private primary(): Node {
    const t = this.next();
    if (t.t === 'number') return { kind: 'number', value: t.v };
    if (t.t === 'string') return { kind: 'string', value: t.v };
    if (t.t === 'punct' && t.v === '(') {
      const expr = this.binary(0);
      this.expect(')');
      return { kind: 'paren', expr };
    }
    if (t.t === 'punct' && t.v === '{') {
      this.pos--;
      return { kind: 'vector', name: undefined, matchers: this.matchers() };
    }
    if (t.t !== 'ident') return this.fail('expected an expression');
    if (AGGREGATIONS.has(t.v) && (this.isPunct('(') || this.isIdent('by') || this.isIdent('without')))
      return this.aggregate(t.v);
    if (this.isPunct('(')) {
      if (!FUNCTIONS.has(t.v)) this.fail(`unknown function ${t.v}`);
      return { kind: 'call', func: t.v, args: this.args() };
    }
    return { kind: 'vector', name: t.v, matchers: this.isPunct('{') ? this.matchers() : [] };
  }

  private args(): Node[] {
    this.expect('(');
    const args: Node[] = [];
    while (!this.isPunct(')')) {
      args.push(this.binary(0));
      if (!this.isPunct(')')) this.expect(',');
    }
    this.expect(')');
    return args;
  }

  private aggregate(op: string): Node {
    let grouping: string[] = [];
    let without = false;
    const modifier = (): void => {
      if (this.isIdent('by') || this.isIdent('without')) {
        without = (this.next() as { v: string }).v === 'without';
        grouping = this.labelList();
      }
    };
    modifier();
    const args = this.args();
    modifier();
    const expr = args[args.length - 1];
    if (expr === undefined || args.length > 2) this.fail(`${op} takes one or two arguments`);
    return {
      kind: 'aggregate',
      op,
      grouping,
      without,
      param: args.length === 2 ? args[0] : undefined,
      expr: expr!,
    };
  }

  private matchers(): Matcher[] {
    this.expect('{');
    const out: Matcher[] = [];
    while (!this.isPunct('}')) {
      const label = this.next();
      if (label.t !== 'ident') this.fail('expected a label name');
      const op = this.next();
      if (op.t !== 'punct' || !['=', '!=', '=~', '!~'].includes(op.v))
        this.fail('expected a matcher operator');
      const value = this.next();
      if (value.t !== 'string') this.fail('expected a label value');
      out.push({ label: label.v, op: op.v as Matcher['op'], value: value.v });
      if (!this.isPunct('}')) this.expect(',');
    }
    this.expect('}');
    return out;
  }
}

export function parsePromQL(src: string): Node {
  return new Parser(tokenize(src), src).parse();
}

function children(node: Node): Node[] {
  switch (node.kind) {
    case 'matrix':
      return [node.vector];
    case 'call':
      return node.args;
    case 'aggregate':
      return node.param ? [node.param, node.expr] : [node.expr];
    case 'binary':
      return [node.lhs, node.rhs];
    case 'unary':
    case 'paren':
      return [node.expr];
    default:
      return [];
  }
}

/** Visits every node with its ancestors (outermost first), like promql/parser.Walk. */
export function walk(
  node: Node,
  visit: (node: Node, parents: readonly Node[]) => void,
  parents: Node[] = [],
): void {
  visit(node, parents);
  for (const child of children(node)) walk(child, visit, [...parents, node]);
}

/** Every vector selector in the expression (parser.ExtractSelectors). */
export function selectors(node: Node): Array<Extract<Node, { kind: 'vector' }>> {
  const out: Array<Extract<Node, { kind: 'vector' }>> = [];
  walk(node, (n) => {
    if (n.kind === 'vector') out.push(n);
  });
  return out;
}
