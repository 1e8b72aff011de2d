/**
 * The two training graphs of the ort engine, as serialised ONNX models:
 *  - the gradient graph: loss, accuracy and `grad.<param>` for every parameter;
 *  - the SGD graph: loss, accuracy, the global gradient norm and `new.<param>` = the parameters after one
 *    step of stateless SGD with per-parameter learning rates (graph inputs), so one run is one training step.
 *  - the evaluation graph: loss and accuracy only (no backward pass).
 * All take the batch inputs of loss-and-grads.ts and every parameter as inputs.
 */
import type { SessionOptions } from '../../eval/ort.js';
import type { BertConfig } from '../../model/config.js';
import { paramShapes } from '../../onnx/bert-params.js';
import { GraphBuilder } from '../../onnx/builder.js';
import { emitLoss, emitLossAndGrads, type LossAndGradValues } from './loss-and-grads.js';
import { Emitter } from './ops.js';

/** Opset 20: the exact-erf `Gelu` operator. */
const OPSET = 20;

/**
 * Session defaults for the training graphs: no pre-planned memory pattern. With the pattern the arena
 * holds about twice the activations (mini at batch 32 x 128: ~1.0 GB peak RSS instead of ~0.64 GB) for
 * no measurable speed-up; turning the arena off instead costs ~40% speed (fresh pages every run).
 */
export const TRAINING_SESSION: SessionOptions = { memoryPattern: false };

export const gradOutput = (param: string): string => `grad.${param}`;
export const newParamOutput = (param: string): string => `new.${param}`;

export interface SgdGraphOptions {
  /** Emit global-norm clipping with a `max_norm` scalar input (default false). */
  clip?: boolean;
  /** Emit decoupled weight decay with a per-parameter `decay` input (default false). */
  weightDecay?: boolean;
  /**
   * Step-norm target: `groups[i]` is the group index of the i-th parameter (sorted-name order); each
   * gradient is divided by the norm of its group, ||g[G]|| = sqrt(sum over the tensors of G of sum g^2),
   * before the learning rate applies (a group whose norm is 0 gets no step). Not combined with `clip`:
   * normalising undoes any global rescaling. Default: plain gradients.
   */
  groups?: readonly number[];
  /**
   * A fixed per-coordinate preconditioner (src/optim/precondition.ts), with `groups` only: `preconditioned[i]`
   * says how the i-th parameter's P arrives, and its gradient becomes d = P * g before the group norms:
   *   'factors': inputs `precond_rows.<param>` (r, 1) = R / mean(R), `precond_cols.<param>` (1, c) = C and
   *              `precond_eps2.<param>` () = eps^2;  P = 1 / sqrt(rows * cols + eps2)   (r, c), built per step
   *   'values':  input `precond.<param>` (the parameter's shape) holds P itself (vectors: O(size) numbers)
   *   undefined: P = 1.
   */
  preconditioned?: readonly (PreconditionedAs | undefined)[];
}

export type PreconditionedAs = 'factors' | 'values';
export const precondInputs = (param: string) => ({
  rows: `precond_rows.${param}`, cols: `precond_cols.${param}`, eps2: `precond_eps2.${param}`, values: `precond.${param}`,
});

function start(c: BertConfig, name: string): { e: Emitter; v: LossAndGradValues } {
  const e = new Emitter(new GraphBuilder(name, { opset: OPSET }));
  const v = emitLossAndGrads(e, c);
  e.g.output(named(e, v.loss, 'loss'), 'float32', []);
  e.g.output(named(e, v.accuracy, 'accuracy'), 'float32', []);
  return { e, v };
}

function named(e: Emitter, value: string, name: string): string {
  return e.g.node('Identity', [value], { outputs: [name] })[0];
}

/** Loss and accuracy only. */
export function buildEvalGraph(c: BertConfig): Uint8Array {
  const e = new Emitter(new GraphBuilder('graftlr_mlm_loss', { opset: OPSET }));
  const v = emitLoss(e, c);
  e.g.output(named(e, v.loss, 'loss'), 'float32', []);
  e.g.output(named(e, v.accuracy, 'accuracy'), 'float32', []);
  return e.g.toBytes();
}

/** Loss, accuracy and every parameter's gradient. */
export function buildGradGraph(c: BertConfig): Uint8Array {
  const { e, v } = start(c, 'graftlr_loss_and_grads');
  for (const [name, shape] of Object.entries(paramShapes(c))) {
    e.g.output(named(e, v.grads[name], gradOutput(name)), 'float32', shape);
  }
  return e.g.toBytes();
}

/**
 * One step of stateless SGD inside the graph. Extra inputs: `lr` (P) float32, one learning rate per
 * parameter in sorted-name order; with weightDecay, `decay` (P) float32 (lr * wd per parameter, 0 where
 * a parameter does not decay); with clip, `max_norm` () float32. For each parameter w with gradient g:
 *   norm = sqrt(sum over all parameters of sum(g^2));  f = min(1, max_norm / norm)  (f = 1 without clip)
 *   w' = w (1 - decay_w) - lr_w f g
 * which is scheduledSgd's  w <- w - eta (c_G clip(g) + wd w)  with lr_w = eta c_G and decay_w = eta wd.
 * With `groups` (step-norm target) f is replaced per group by 1 / ||g[G]|| (0 when ||g[G]|| = 0):
 *   w' = w (1 - decay_w) - lr_w g / ||g[G]||,  lr_w = eta s m_G.
 * Outputs: loss, accuracy, grad_norm (before clipping), grad_sq (P) = sum(g^2) per parameter (a
 * non-finite entry names a non-finite gradient), and `new.<param>` for every parameter.
 */
export function buildSgdGraph(c: BertConfig, o: SgdGraphOptions = {}): Uint8Array {
  const { e, v } = start(c, 'graftlr_sgd_step');
  const names = Object.keys(paramShapes(c));
  if (o.groups !== undefined && (o.groups.length !== names.length || o.clip)) {
    throw new Error(`buildSgdGraph: groups has ${o.groups.length} entries for ${names.length} parameters${o.clip ? ' and clip is set' : ''}: give one group index per parameter, without clip`);
  }
  const lr = e.g.input('lr', 'float32', [names.length]);
  const decay = o.weightDecay ? e.g.input('decay', 'float32', [names.length]) : undefined;
  const maxNorm = o.clip ? e.g.input('max_norm', 'float32', []) : undefined;
  if (o.preconditioned !== undefined && (o.groups === undefined || o.preconditioned.length !== names.length)) {
    throw new Error(`buildSgdGraph: preconditioned needs groups and one entry per parameter (${names.length})`);
  }
  const grads = names.map((n, i) => preconditionedGradient(e, n, paramShapes(c)[n], v.grads[n], o.preconditioned?.[i])); // like w
  const squares = grads.map((g) => e.op('ReduceSumSquare', [g], 'sgd.sq', { keepdims: { kind: 'int', value: 0 } })); // ()
  e.g.output(named(e, e.concat(squares.map((sq) => e.unsqueeze(sq, [0], 'sgd.sq1')), 0, 'sgd.sq_all'), 'grad_sq'), 'float32', [names.length]);
  const norm = e.op('Sqrt', [e.op('Sum', squares, 'sgd.sum_sq')], 'sgd.norm'); // ()
  e.g.output(named(e, norm, 'grad_norm'), 'float32', []);
  const factor = maxNorm === undefined ? undefined
    : e.op('Min', [e.scalar(1), e.op('Div', [maxNorm, norm], 'sgd.ratio')], 'sgd.factor'); // ()
  const inverse = o.groups === undefined ? undefined : groupInverseNorms(e, squares, o.groups);
  for (const [i, name] of names.entries()) {
    const w = v.params(name);
    const rate = e.op('Gather', [lr, e.index(i)], 'sgd.lr'); // ()
    const perStep = factor ?? inverse?.get(o.groups![i]);
    const scaled = perStep === undefined ? rate : e.mul(rate, perStep, 'sgd.lr_scaled'); // ()
    const step = e.mul(grads[i], scaled, 'sgd.step'); // like w
    const kept = decay === undefined ? w
      : e.mul(w, e.sub(e.scalar(1), e.op('Gather', [decay, e.index(i)], 'sgd.decay'), 'sgd.keep'), 'sgd.kept');
    e.g.node('Sub', [kept, step], { outputs: [newParamOutput(name)] });
    e.g.output(newParamOutput(name), 'float32', paramShapes(c)[name]);
  }
  return e.g.toBytes();
}

/**
 * 1 / ||g[G]|| per group index (0 where the norm is 0), from the per-parameter sums of squares:
 * ||g[G]||^2 = sum over the members of G of sum(g^2).
 */
function groupInverseNorms(e: Emitter, squares: string[], groups: readonly number[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const group of new Set(groups)) {
    const members = squares.filter((_, i) => groups[i] === group);
    const norm = e.op('Sqrt', [e.op('Sum', members, 'sgd.group_sq')], 'sgd.group_norm'); // ()
    const positive = e.op('Greater', [norm, e.scalar(0)], 'sgd.group_positive');
    out.set(group, e.op('Where', [positive, e.op('Reciprocal', [norm], 'sgd.group_inv_raw'), e.scalar(0)], 'sgd.group_inv')); // ()
  }
  return out;
}

/** d = P * g for one parameter (see SgdGraphOptions.preconditioned); g itself when `as` is undefined. */
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
