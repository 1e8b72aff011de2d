/**
 * The optimizer a training run uses, built from its options (and, for `static`, the schedule artifact).
 *
 *   static: w[G] <- w[G] - eta(t) * (s * c_G(t) * clip(g)[G] + wd * w[G])    stateless (counts only)
 *           or, for an artifact that compressed step norms (the rule's target "stepNorm"):
 *           w[G] <- w[G] - eta(t) * (s * m_G(t) * clip(g)[G] / ||clip(g)[G]|| + wd * w[G])   stateless too
 *           and, with the artifact's factored preconditioner P (fixed, src/optim/precondition.ts), d = P * g:
 *           w[G] <- w[G] - eta(t) * (s * m_G(t) * d[G] / ||d[G]|| + wd * w[G])                stateless too
 *           and with --momentum beta (a reference, NOT stateless: one buffer b per parameter):
 *           b <- beta * b + d,  w[G] <- w[G] - eta(t) * (s * m_G(t) * b[G] / ||b[G]|| + wd * w[G])
 *   sgd:    the same with c_G = 1, s = 1                                        stateless
 *   adam:   Adam (AdamW when wd > 0) at eta(t), after optional clipping
 *   graft:  online Adam#SGD, per tensor, both at eta(t), after optional clipping
 *   hybrid: static for every tensor but LayerNorm gamma/beta and biases, which get Adam (hybrid.ts; NOT stateless)
 *
 * c_G / m_G, the grouping, P (re-indexed for the run's tokenizer when it is not the probe's) and, for static and hybrid, eta(t) come from the run's schedule rule (schedule/rule.ts:
 * the probe's base schedule stretched to this run's length, unless lr / warmup / decay / endLr are given);
 * for the other optimizers eta(t) is built from those options.
 */
import * as tf from '@tensorflow/tfjs-core';
import { adam, adamw, scheduledSgd, sgd } from '../../optim/alias.js';
import { tidyUpdate, type Optimizer } from '../../optim/base.js';
import { mapParams, type GroupOf } from '../../core/params.js';
import { chain } from '../../optim/combine.js';
import { graft } from '../../optim/graft.js';
import { trace } from '../../optim/moments.js';
import { scaleByFactoredPreconditioner } from '../../optim/precondition.js';
import { baseSchedule } from '../../optim/schedule-spec.js';
import type { DescribedSchedule } from '../../optim/schedules.js';
import { clipByGlobalNorm } from '../../optim/transforms.js';
import type { Artifact } from '../../schedule/artifact.js';
import { scheduleRule, type ScheduleRule, type ScheduleRun } from '../../schedule/rule.js';
import { hybridTrainOptimizer } from './hybrid.js';
import { DEFAULT_LR, DEFAULT_WARMUP, groupScale, usesSchedule, type TrainOptions } from './train-options.js';

/**
 * The schedule rule of a run that follows an artifact (static, hybrid), read once per run (schedule/rule.ts);
 * undefined for the other optimizers.
 */
export function trainScheduleRule(o: TrainOptions, artifact?: Artifact, vocabulary?: ScheduleRun['vocabulary']): ScheduleRule | undefined {
  if (!usesSchedule(o.optimizer)) return undefined;
  if (!artifact) throw new Error(`train: optimizer "${o.optimizer}" needs a schedule artifact`);
  return scheduleRule(artifact, {
    totalSteps: o.steps,
    vocabulary, // the run's tokenizer: the artifact's token-indexed entries are re-indexed for it when it is not the probe's
    scale: (group) => groupScale(o, group), // scheduleScale, or vectorScale for LayerNorm/bias
    base: { peakLr: o.lr, warmup: o.warmup, decay: o.decay, endLr: o.endLr },
  });
}

/** The base schedule eta(t) of a training run (see the file comment): the rule's, or one built from the options. */
export function trainBaseSchedule(o: TrainOptions, rule?: ScheduleRule): DescribedSchedule {
  if (rule) return rule.eta;
  if (o.optimizer === 'static' || o.optimizer === 'hybrid') throw new Error(`train: optimizer "${o.optimizer}" needs a schedule artifact`);
  const peakLr = o.lr ?? DEFAULT_LR[o.optimizer];
  return baseSchedule({
    peakLr,
    totalSteps: o.steps,
    warmupSteps: Math.min(o.steps, Math.round((o.warmup ?? DEFAULT_WARMUP) * o.steps)),
    decay: o.decay ?? 'linear',
    endLr: Math.min(o.endLr ?? 0, peakLr),
  });
}

/** With clipping: chain(clipByGlobalNorm(c), opt); else opt. */
function clipped<S>(o: TrainOptions, opt: Optimizer<S>): Optimizer<unknown> {
  return (o.clipNorm === undefined ? opt : chain(clipByGlobalNorm(o.clipNorm, 'train'), opt)) as Optimizer<unknown>;
}

/** The run's optimizer value. For static and hybrid, `rule` is the run's (its artifact checked against the model). */
export function trainOptimizer(o: TrainOptions, eta: DescribedSchedule, rule?: ScheduleRule): Optimizer<unknown> {
  const hyper = { beta1: o.beta1, beta2: o.beta2, eps: o.eps };
  switch (o.optimizer) {
    case 'static': {
      if (!rule) throw new Error('train: optimizer "static" needs a schedule artifact');
      const { groupOf, multiplier } = rule;
      if (o.momentum !== undefined && rule.target !== 'stepNorm') {
        throw new Error(
          'train: momentum needs a step-norm schedule (the step length comes from the artifact): re-run extract with --target stepNorm',
        );
      }
      if (rule.target === 'stepNorm') {
        // Normalising happens after clipping: clipping by the global norm would not change the direction anyway.
        const sgdPart = scheduledSgd({ lr: eta, multiplier, groupOf, weightDecay: o.weightDecay });
        // d = P * g (a fixed preconditioner, 0 bytes of state; precondition.ts), then with momentum
        // d <- beta d_prev + d (one buffer: NOT stateless), then the step-norm rule on d.
        const direction = [
          ...(rule.preconditioner ? [scaleByFactoredPreconditioner(rule.preconditioner, 'train')] : []),
          ...(o.momentum !== undefined ? [trace(o.momentum, false, 'train')] : []),
        ];
        return chain(...direction, normalizeByGroup(groupOf), sgdPart) as Optimizer<unknown>;
      }
      return scheduledSgd({ lr: eta, multiplier, groupOf, clipNorm: o.clipNorm, weightDecay: o.weightDecay }) as Optimizer<unknown>;
    }
    case 'sgd':
      return scheduledSgd({ lr: eta, multiplier: () => 1, clipNorm: o.clipNorm, weightDecay: o.weightDecay }) as Optimizer<unknown>;
    case 'adam':
      return o.weightDecay > 0
        ? clipped(o, adamw({ lr: eta, ...hyper, weightDecay: o.weightDecay }))
        : clipped(o, adam({ lr: eta, ...hyper }));
    case 'graft':
      return clipped(o, graft({ magnitude: adam({ lr: eta, ...hyper }), direction: sgd({ lr: eta }) }));
    case 'hybrid':
      return clipped(
        o,
        hybridTrainOptimizer(
          { ...o, hybridAdamLr: o.hybridAdamLr! },
          eta,
          trainOptimizer({ ...o, optimizer: 'static', clipNorm: undefined }, eta, rule),
        ),
      );
  }
}

/**
 * Per-group gradient normalisation, the stateless block in front of a step-norm schedule:
 *
 *   u[n] = g[n] / ||g[G]||,   G = groupOf(n),  ||g[G]|| = sqrt(sum over tensors of G of sum g^2)
 *
 * A group whose norm is 0 gets u = 0 (its norm is replaced by +Infinity). Borrows the gradients and
 * returns new tensors; keeps no state.
 */
export function normalizeByGroup(groupOf: GroupOf): Optimizer<Readonly<Record<string, never>>> {
  return {
    spec: { name: 'normalizeByGroup' },
    init: () => ({}),
    update: (grads, state) =>
      tidyUpdate([grads], () => {
        const squares = new Map<string, tf.Scalar>();
        for (const [name, g] of Object.entries(grads)) {
          const group = groupOf(name);
          const sq = tf.sum(tf.square(g)) as tf.Scalar; // ()
          const prev = squares.get(group);
          squares.set(group, prev ? tf.add(prev, sq) : sq);
        }
        const inverse = new Map<string, tf.Scalar>();
        for (const [group, sq] of squares) {
          const norm = tf.sqrt(sq); // ()
          inverse.set(group, tf.where(tf.greater(norm, 0), tf.div(1, norm), tf.zerosLike(norm)) as tf.Scalar);
        }
        return [mapParams(grads, (g, n) => tf.mul(g, inverse.get(groupOf(n))!)), state];
      }),
  };
}
