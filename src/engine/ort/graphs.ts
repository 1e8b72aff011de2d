/**
 * The two training graphs of the ort engine, as serialised ONNX models:
 *  - the gradient graph: loss, accuracy and `grad.<param>` for every parameter;
 *  - the SGD graph: loss, accuracy, the global gradient norm and `new.<param>` = the parameters after one
 *    step of stateless SGD with per-parameter learning rates (graph inputs), so one run is one training step.
 *  - the evaluation graph: loss and accuracy only (no backward pass).
 * All take the batch inputs of loss-and-grads.ts and every parameter as inputs.
 */
import type { SessionOptions } from '../../runtime/ort.js';
import type { BertConfig } from '../../model/config.js';
import { paramShapes } from '../../model/onnx/bert-params.js';
import { GraphBuilder } from '../../formats/onnx-builder.js';
import { emitLoss, emitLossAndGrads, type LossAndGradValues } from './loss-and-grads.js';
import { Emitter } from './ops.js';
import { buildStepGraph, STEP_OPSET, type StepGraphOptions } from './step-graph.js';

const OPSET = STEP_OPSET;

/**
 * Session defaults for the training graphs:
 *  - no pre-planned memory pattern. With the pattern the arena holds about twice the activations (mini at
 *    batch 32 x 128: ~1.0 GB peak RSS instead of ~0.64 GB) for no measurable speed-up; turning the arena
 *    off instead costs ~40% speed (fresh pages every run: measured at BERT-base, batch 8 x 128, 3.9 s
 *    instead of 2.8 s a step, 1.9 s of it in the kernel, for 150 MB less peak RSS, and that only with
 *    glibc's mmap threshold fixed; without it the peak grew with every step);
 *  - no common-subexpression elimination: the backward pass recomputes two values on purpose instead of
 *    keeping them alive (layer.ts LayerSaved), and that pass would merge them back.
 */
export const TRAINING_SESSION: SessionOptions = { memoryPattern: false, disabledOptimizers: ['CommonSubexpressionElimination'] };

export const gradOutput = (param: string): string => `grad.${param}`;

/** Options of the stateless SGD graph: the 'sgd' rule of step-graph.ts for every parameter. */
export type SgdGraphOptions = Omit<StepGraphOptions, 'rules' | 'adam'>;

export { newParamOutput, precondInputs, type PreconditionedAs } from './step-graph.js';

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

/**
 * Loss, accuracy, every parameter's gradient, and grad_sq (P) = sum(g^2) per parameter in sorted-name order
 * (computed in the run, so the caller's non-finite check and clipping need no pass over the gradients).
 */
export function buildGradGraph(c: BertConfig): Uint8Array {
  const { e, v } = start(c, 'graftlr_loss_and_grads');
  const shapes = paramShapes(c);
  for (const [name, shape] of Object.entries(shapes)) {
    e.g.output(named(e, v.grads[name], gradOutput(name)), 'float32', shape);
  }
  const squares = Object.keys(shapes).map((n) => e.op('ReduceSumSquare', [v.grads[n]], 'grad.sq', { keepdims: { kind: 'int', value: 0 } })); // ()
  e.g.output(
    named(
      e,
      e.concat(
        squares.map((sq) => e.unsqueeze(sq, [0], 'grad.sq1')),
        0,
        'grad.sq_all',
      ),
      'grad_sq',
    ),
    'float32',
    [squares.length],
  );
  return e.g.toBytes();
}

/**
 * One step of stateless SGD inside the graph (step-graph.ts with the 'sgd' rule for every parameter):
 *   w' = w (1 - decay_w) - lr_w f g,  f = min(1, max_norm / ||g||) (1 without clip)
 * which is scheduledSgd's  w <- w - eta (c_G clip(g) + wd w)  with lr_w = eta c_G and decay_w = eta wd.
 * With `groups` (step-norm target) f is replaced per group by 1 / ||d[G]||, d = P g (0 when ||d[G]|| = 0):
 *   w' = w (1 - decay_w) - lr_w d / ||d[G]||,  lr_w = eta s m_G.  Not combined with clip (normalising undoes it).
 */
export function buildSgdGraph(c: BertConfig, o: SgdGraphOptions = {}): Uint8Array {
  const count = Object.keys(paramShapes(c)).length;
  if (o.groups !== undefined && (o.groups.length !== count || o.clip)) {
    throw new Error(
      `buildSgdGraph: groups has ${o.groups.length} entries for ${count} parameters${o.clip ? ' and clip is set' : ''}: give one group index per parameter, without clip`,
    );
  }
  if (o.preconditioned !== undefined && (o.groups === undefined || o.preconditioned.length !== count)) {
    throw new Error(`buildSgdGraph: preconditioned needs groups and one entry per parameter (${count})`);
  }
  return buildStepGraph(c, o);
}
