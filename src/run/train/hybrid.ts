/**
 * The hybrid reference optimizer (NOT stateless): Adam state for the small tensors only, the static
 * schedule for everything else.
 *
 *   n is a LayerNorm gamma/beta or a bias:  w[n] <- w[n] - eta(t) * (a / eta_peak) * mhat[n] / (sqrt(vhat[n]) + eps)
 *   every other tensor:                     w[n] <- w[n] + u_static[n]      (exactly static's update)
 *
 * eta is the run's base schedule (the artifact's, as for static) and a the Adam peak rate (hybridAdamLr):
 * the Adam part follows the same warmup and decay, peaking at a. u_static is computed by the static
 * optimizer on all gradients (so a group norm over several tensors is the same as static's) and its
 * entries for the Adam tensors are dropped. Optimizer state: Adam's m and v for the Adam tensors,
 * 2 x 4 bytes per parameter that carries state.
 */
import { adam, adamw } from '../../optim/alias.js';
import { tidyUpdate, type Optimizer, type Updates } from '../../optim/base.js';
import type { DescribedSchedule } from '../../optim/schedules.js';
import type { ParamMap } from '../../core/params.js';
import { isVectorParam } from './train-options.js';

/** Parameters whose optimizer keeps per-coordinate state: all for adam/graft, the small tensors for hybrid, none otherwise. */
export function statefulParamCount(optimizer: string, shapes: Readonly<Record<string, readonly number[]>>, momentum?: number): number {
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  let n = 0;
  for (const [name, shape] of Object.entries(shapes)) {
    const everyTensor = optimizer === 'adam' || optimizer === 'graft' || (optimizer === 'static' && momentum !== undefined);
    if (everyTensor || (optimizer === 'hybrid' && isVectorParam(name))) n += size(shape);
  }
  return n;
}

export interface HybridState {
  stateless: unknown;
  adam: unknown;
}

function pick(p: ParamMap, keep: (name: string) => boolean): ParamMap {
  return Object.fromEntries(Object.entries(p).filter(([name]) => keep(name)));
}

/**
 * Combines a stateless optimizer (run on all gradients; its updates kept for the tensors without state)
 * with a stateful one (run on the state-carrying tensors only). Borrows its inputs, returns new tensors.
 */
export function hybrid(o: {
  stateless: Optimizer<unknown>;
  stateful: Optimizer<unknown>;
  carriesState?: (name: string) => boolean;
}): Optimizer<HybridState> {
  const carries = o.carriesState ?? isVectorParam; // LayerNorm gamma/beta and every bias
  return {
    spec: { name: 'hybrid', stateless: o.stateless.spec ?? { name: 'custom' }, stateful: o.stateful.spec ?? { name: 'custom' } },
    init: (params) => ({ stateless: o.stateless.init(params), adam: o.stateful.init(pick(params, carries)) }),
    update: (grads, state, params) =>
      tidyUpdate([grads, state, params], () => {
        const [staticUpdates, staticState] = o.stateless.update(grads, state.stateless, params);
        const [adamUpdates, adamState] = o.stateful.update(pick(grads, carries), state.adam, params && pick(params, carries));
        // The static updates of the Adam tensors are dropped (freed when the tidy ends).
        const updates: Updates = { ...pick(staticUpdates, (n) => !carries(n)), ...adamUpdates };
        return [updates, { stateless: staticState, adam: adamState }];
      }),
  };
}

/**
 * The `train --optimizer hybrid` optimizer: `staticOpt` is the static optimizer built from the same
 * artifact and options (without clipping: the caller clips in front of the whole hybrid).
 */
export function hybridTrainOptimizer(
  o: { hybridAdamLr: number; beta1: number; beta2: number; eps: number; weightDecay: number },
  eta: DescribedSchedule,
  staticOpt: Optimizer<unknown>,
): Optimizer<HybridState> {
  const peak = (eta.spec as { peakLr?: number }).peakLr;
  if (!(typeof peak === 'number' && peak > 0))
    throw new Error(`train: the hybrid needs a base schedule with a positive peak (got ${JSON.stringify(eta.spec)})`);
  const lr = (t: number) => (eta(t) * o.hybridAdamLr) / peak; // eta(t) * (a / eta_peak)
  const hyper = { lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps };
  const stateful = (o.weightDecay > 0 ? adamw({ ...hyper, weightDecay: o.weightDecay }) : adam(hyper)) as Optimizer<unknown>;
  return hybrid({ stateless: staticOpt, stateful });
}
