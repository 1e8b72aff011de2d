/**
 * One whole training step as one onnxruntime graph: forward, backward, and the optimizer update of every
 * parameter, so that gradients are consumed where they are made and nothing passes through another tensor
 * library. Each parameter follows one update rule (sorted-name order, `rules[i]`):
 *
 *   sgd:   w' = w (1 - decay_w) - lr_w f d            d = P * g (P = 1 without a preconditioner)
 *          f = min(1, max_norm / ||g||) with clip; with `groups` f = 1 / ||d[G]|| (0 when ||d[G]|| = 0)
 *   adam:  m' = b1 m + (1 - b1) gc ;  v' = b2 v + (1 - b2) gc^2          gc = f g (f as above, 1 without clip)
 *          u  = (m' / c1) / (sqrt(v' / c2) + eps)     c1 = 1 - b1^t, c2 = 1 - b2^t (inputs adam_c1, adam_c2)
 *          w' = w (1 - decay_w) - lr_w u              (AdamW when decay_w = lr_w wd)
 *   graft: Adam#SGD per group G (`groups`): the step length of Adam in plain SGD's direction,
 *          nM = ||lr u[G]||, nG = ||gc[G]|| (float64 sums),  w' = w - (nM / nG) gc   (0 when nG = 0)
 *          and the graph outputs graft_norms (groups in order of first appearance, 2) = [nM, nG] as float64.
 *
 * Inputs besides the batch and the parameters: lr (P); with weightDecay, decay (P); with clip, max_norm ();
 * the preconditioner's (graphs.ts precondInputs); for every adam/graft parameter its moments
 * `adam_m.<param>`, `adam_v.<param>` and the scalars adam_c1, adam_c2. Outputs: loss, accuracy,
 * grad_sq (P) = sum(x^2) per parameter and grad_norm = sqrt(sum of them), with x = g when clipping (the norm
 * clipping uses) and x = d, the direction the rule sums anyway, otherwise (d = P g for preconditioned sgd
 * parameters, g for the rest; either way a non-finite entry names a non-finite gradient), `new.<param>` for
 * every parameter and `new_m.<param>`, `new_v.<param>` for the moments.
 *
 * With `inPlace` (in-place.ts) every new value may be bound to the memory of its old value; each update
 * then waits for every reader of the old value. A step whose gradient is not finite still writes its update
 * (NaN where the gradient was NaN): the caller stops the run, and nothing of that step is saved. The updates
 * are emitted in reverse order of gradient production: onnxruntime's default order runs the graph's last
 * leaves first, so each update follows its own gradient and frees it early.
 */
import type { BertConfig } from '../../model/config.js';
import { paramShapes } from '../../model/onnx/bert-params.js';
import { attr, GraphBuilder } from '../../formats/onnx-builder.js';
import { afterEveryReader } from './in-place.js';
import { emitLossAndGrads } from './loss-and-grads.js';
import { Emitter } from './ops.js';

/** Opset 20: the exact-erf `Gelu` operator. */
export const STEP_OPSET = 20;
const DOUBLE = 11;

export type UpdateRule = 'sgd' | 'adam' | 'graft';
export type PreconditionedAs = 'factors' | 'values';

export const newParamOutput = (param: string): string => `new.${param}`;
export const precondInputs = (param: string) => ({
  rows: `precond_rows.${param}`,
  cols: `precond_cols.${param}`,
  eps2: `precond_eps2.${param}`,
  values: `precond.${param}`,
});
export const momentNames = (param: string) => ({
  m: `adam_m.${param}`,
  v: `adam_v.${param}`,
  newM: `new_m.${param}`,
  newV: `new_v.${param}`,
});

export interface AdamHyper {
  beta1: number;
  beta2: number;
  eps: number;
}

export interface StepGraphOptions {
  /** The rule of each parameter in sorted-name order (default: every parameter 'sgd'). */
  rules?: readonly UpdateRule[];
  /** Adam's decays and epsilon, needed when a rule is 'adam' or 'graft'. */
  adam?: AdamHyper;
  /** Global-norm clipping with a `max_norm` input (default false). */
  clip?: boolean;
  /** Decoupled weight decay with a per-parameter `decay` input (default false). */
  weightDecay?: boolean;
  /**
   * Group index of each parameter: the step-norm groups of 'sgd' parameters (f = 1 / ||d[G]||) and the
   * graft groups of 'graft' parameters. Default: 'sgd' follows the (clipped) gradient, 'graft' is per tensor.
   */
  groups?: readonly number[];
  /** How each parameter's fixed preconditioner P arrives (with groups only; for an adam or graft parameter it enters the group norm only). */
  preconditioned?: readonly (PreconditionedAs | undefined)[];
  /** Safe for binding every new value to its old value's memory (see the file comment). Default false. */
  inPlace?: boolean;
}

function named(e: Emitter, value: string, name: string): string {
  return e.g.node('Identity', [value], { outputs: [name] })[0];
}

const sumSquares = (e: Emitter, x: string, hint: string): string => e.op('ReduceSumSquare', [x], hint, { keepdims: attr.int(0) }); // ()

/** sum(x^2) accumulated in float64 (). */
const sumSquares64 = (e: Emitter, x: string, hint: string): string =>
  sumSquares(e, e.op('Cast', [x], `${hint}.f64`, { to: attr.int(DOUBLE) }), hint);

/** 1 / sqrt(sum of `squares` over the group), 0 where that norm is 0. */
function inverseNorm(e: Emitter, squares: string[], zero: string, hint: string): string {
  const norm = e.op('Sqrt', [e.op('Sum', squares, `${hint}.sq`)], `${hint}.norm`); // ()
  const positive = e.op('Greater', [norm, zero], `${hint}.positive`);
  return e.op('Where', [positive, e.op('Reciprocal', [norm], `${hint}.inv_raw`), zero], `${hint}.inv`); // ()
}

/** d = P * g for one parameter; g itself when `as` is undefined. */
function preconditionedGradient(e: Emitter, name: string, shape: number[], g: string, as: PreconditionedAs | undefined): string {
  if (as === undefined) return g;
  const inputs = precondInputs(name);
  if (as === 'values') return e.mul(g, e.g.input(inputs.values, 'float32', shape), 'sgd.precond'); // like w
  const [r, c] = shape;
  const rows = e.g.input(inputs.rows, 'float32', [r, 1]);
  const cols = e.g.input(inputs.cols, 'float32', [1, c]);
  const eps2 = e.g.input(inputs.eps2, 'float32', []);
  const vTilde = e.mul(rows, cols, 'sgd.v_tilde'); // (r, c)
  const p = e.op('Reciprocal', [e.op('Sqrt', [e.op('Add', [vTilde, eps2], 'sgd.v_eps')], 'sgd.v_sqrt')], 'sgd.p'); // (r, c)
  return e.mul(g, p, 'sgd.precond'); // (r, c)
}

function checkOptions(o: StepGraphOptions, rules: readonly UpdateRule[], count: number): void {
  const fail = (why: string): never => {
    throw new Error(`buildStepGraph: ${why}`);
  };
  if (rules.length !== count) fail(`rules has ${rules.length} entries for ${count} parameters`);
  if (o.groups !== undefined && o.groups.length !== count) fail(`groups has ${o.groups.length} entries for ${count} parameters`);
  if (o.preconditioned !== undefined && (o.groups === undefined || o.preconditioned.length !== count)) {
    fail(`preconditioned needs groups and one entry per parameter (${count})`);
  }
  if (rules.some((r) => r !== 'sgd') && o.adam === undefined) fail('adam and graft parameters need the adam hyperparameters');
}

/** Builds the step graph (see the file comment). */
export function buildStepGraph(c: BertConfig, o: StepGraphOptions = {}): Uint8Array {
  const e = new Emitter(new GraphBuilder('graftlr_train_step', { opset: STEP_OPSET }));
  const v = emitLossAndGrads(e, c);
  e.g.output(named(e, v.loss, 'loss'), 'float32', []);
  e.g.output(named(e, v.accuracy, 'accuracy'), 'float32', []);
  const shapes = paramShapes(c);
  const names = Object.keys(shapes);
  const rules = o.rules ?? names.map((): UpdateRule => 'sgd');
  checkOptions(o, rules, names.length);
  const zero = (): string => e.scalar(0); // emitted on first use: an unused constant makes onnxruntime print a warning

  const lr = e.g.input('lr', 'float32', [names.length]);
  const decay = o.weightDecay ? e.g.input('decay', 'float32', [names.length]) : undefined;
  const maxNorm = o.clip ? e.g.input('max_norm', 'float32', []) : undefined;
  const stateful = rules.some((r) => r !== 'sgd');
  const c1 = stateful ? e.g.input('adam_c1', 'float32', []) : '';
  const c2 = stateful ? e.g.input('adam_c2', 'float32', []) : '';

  // d = P g where a preconditioner is given (g itself elsewhere), and sum(d^2) per parameter. An adam or graft
  // parameter's d enters its step-norm group's norm only (the hybrid: as the reference, whose static part sees
  // every gradient); its own step is Adam's.
  const directions = names.map((n, i) => preconditionedGradient(e, n, shapes[n], v.grads[n], o.preconditioned?.[i]));
  const dirSquares = directions.map((d) => sumSquares(e, d, 'step.sq')); // ()
  // The reported squares and norm (see the file comment): of g with clipping, which needs ||g||; else of d, no extra pass.
  const reported =
    maxNorm === undefined
      ? dirSquares
      : names.map((n, i) => (directions[i] === v.grads[n] ? dirSquares[i] : sumSquares(e, v.grads[n], 'step.raw_sq')));
  e.g.output(
    named(
      e,
      e.concat(
        reported.map((sq) => e.unsqueeze(sq, [0], 'step.sq1')),
        0,
        'step.sq_all',
      ),
      'grad_sq',
    ),
    'float32',
    [names.length],
  );
  const norm = e.op('Sqrt', [e.op('Sum', reported, 'step.sum_sq')], 'step.norm'); // ()
  e.g.output(named(e, norm, 'grad_norm'), 'float32', []);
  const clipFactor =
    maxNorm === undefined ? undefined : e.op('Min', [e.scalar(1), e.op('Div', [maxNorm, norm], 'step.ratio')], 'step.factor'); // ()

  // 1 / ||d[G]|| per step-norm group (sums over every member, whatever its rule, as the reference optimizers).
  const sgdInverse = new Map<number, string>();
  if (o.groups !== undefined) {
    for (const group of new Set(names.map((_, i) => o.groups![i]).filter((_, i) => rules[i] === 'sgd'))) {
      sgdInverse.set(
        group,
        inverseNorm(
          e,
          dirSquares.filter((_, i) => o.groups![i] === group),
          zero(),
          'sgd.group',
        ),
      );
    }
  }

  // adam and graft: new moments and Adam's direction u for every stateful parameter.
  const hyper = o.adam!;
  const clipped = (i: number): string => (clipFactor === undefined ? v.grads[names[i]] : e.mul(v.grads[names[i]], clipFactor, 'adam.gc'));
  const moments = new Map<number, { gc: string; m: string; v: string; u: string }>();
  names.forEach((name, i) => {
    if (rules[i] === 'sgd') return;
    const io = momentNames(name);
    const m0 = e.g.input(io.m, 'float32', shapes[name]);
    const v0 = e.g.input(io.v, 'float32', shapes[name]);
    const gc = clipped(i); // like w
    // The new moments are graph outputs themselves (written straight into the caller's arrays when bound).
    const m = e.g.node('Add', [e.mul(m0, e.scalar(hyper.beta1), 'adam.m_b'), e.mul(gc, e.scalar(1 - hyper.beta1), 'adam.g_b')], {
      outputs: [io.newM],
    })[0]; // like w
    const vv = e.g.node(
      'Add',
      [e.mul(v0, e.scalar(hyper.beta2), 'adam.v_b'), e.mul(e.mul(gc, gc, 'adam.g2'), e.scalar(1 - hyper.beta2), 'adam.g2_b')],
      { outputs: [io.newV] },
    )[0]; // like w
    const denom = e.add(e.op('Sqrt', [e.op('Div', [vv, c2], 'adam.v_hat')], 'adam.v_sqrt'), e.scalar(hyper.eps), 'adam.denom'); // like w
    moments.set(i, { gc, m, v: vv, u: e.op('Div', [e.op('Div', [m, c1], 'adam.m_hat'), denom], 'adam.u') }); // like w
  });

  // graft: per group, nM = ||lr u[G]|| and nG = ||gc[G]|| in float64; the step scale nM / nG as float32.
  const graftScale = new Map<number, string>();
  const graftGroupOf = (i: number): number => o.groups?.[i] ?? -1 - i; // per tensor without groups
  const graftGroups = [
    ...new Set(
      names
        .map((_, i) => i)
        .filter((i) => rules[i] === 'graft')
        .map(graftGroupOf),
    ),
  ];
  if (graftGroups.length > 0) {
    const rows: string[] = [];
    const zero64 = e.op('Cast', [zero()], 'graft.zero64', { to: attr.int(DOUBLE) });
    for (const group of graftGroups) {
      const members = names.map((_, i) => i).filter((i) => rules[i] === 'graft' && graftGroupOf(i) === group);
      const rate = (i: number) => e.op('Gather', [lr, e.index(i)], 'graft.lr'); // ()
      const nM = e.op(
        'Sqrt',
        [
          e.op(
            'Sum',
            members.map((i) => sumSquares64(e, e.mul(moments.get(i)!.u, rate(i), 'graft.u_lr'), 'graft.um_sq')),
            'graft.m_sq',
          ),
        ],
        'graft.nm',
      ); // () f64
      const nG = e.op(
        'Sqrt',
        [
          e.op(
            'Sum',
            members.map((i) => sumSquares64(e, moments.get(i)!.gc, 'graft.g_sq')),
            'graft.g_sq_all',
          ),
        ],
        'graft.ng',
      ); // () f64
      rows.push(
        e.concat(
          [nM, nG].map((x) => e.unsqueeze(x, [0], 'graft.n1')),
          0,
          'graft.row',
        ),
      ); // (2)
      const scale = e.op(
        'Where',
        [e.op('Greater', [nG, zero64], 'graft.valid'), e.op('Div', [nM, nG], 'graft.ratio'), zero64],
        'graft.scale64',
      );
      graftScale.set(group, e.toFloat(scale, 'graft.scale')); // ()
    }
    const table = e.concat(
      rows.map((r) => e.unsqueeze(r, [0], 'graft.row1')),
      0,
      'graft.table',
    ); // (groups, 2)
    e.g.output(named(e, table, 'graft_norms'), 'float64', [graftGroups.length, 2]);
  }

  const ordering = o.inPlace ? afterEveryReader(e) : undefined; // read before any update is emitted
  for (const name of [...Object.keys(v.grads)].reverse()) {
    const i = names.indexOf(name);
    const w = v.params(name);
    const rule = rules[i];
    const ofParam = e.op('Gather', [lr, e.index(i)], 'step.lr'); // ()
    const source = rule === 'sgd' ? directions[i] : moments.get(i)!.gc; // what the step is computed from
    const rate = ordering ? ordering(name, source, ofParam) : ofParam; // ()
    let step: string;
    if (rule === 'sgd') {
      const perStep = o.groups !== undefined ? sgdInverse.get(o.groups[i]) : clipFactor;
      step = e.mul(directions[i], perStep === undefined ? rate : e.mul(rate, perStep, 'sgd.lr_scaled'), 'sgd.step'); // like w
    } else if (rule === 'adam') {
      step = e.mul(moments.get(i)!.u, rate, 'adam.step'); // like w
    } else {
      // The step is (nM / nG) gc (the lr is already inside nM); in place, the gated rate joins as 0 to order the update.
      const groupScale = graftScale.get(graftGroupOf(i))!;
      const scale = o.inPlace ? e.add(groupScale, e.mul(rate, zero(), 'graft.order'), 'graft.scale_ordered') : groupScale;
      step = e.mul(moments.get(i)!.gc, scale, 'graft.step'); // like w
    }
    const kept =
      decay === undefined ? w : e.mul(w, e.sub(e.scalar(1), e.op('Gather', [decay, e.index(i)], 'step.decay'), 'step.keep'), 'step.kept');
    if (rule !== 'sgd') {
      const io = momentNames(name);
      e.g.output(io.newM, 'float32', shapes[name]);
      e.g.output(io.newV, 'float32', shapes[name]);
    }
    e.g.node('Sub', [kept, step], { outputs: [newParamOutput(name)] });
    e.g.output(newParamOutput(name), 'float32', shapes[name]);
  }
  return e.g.toBytes();
}
