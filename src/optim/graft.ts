/**
 * Learning-rate grafting M#D: the step length of optimizer M in the direction of optimizer D, per group
 * (DESIGN.md section 1). At step t, with gradient g taken at the shared weights w:
 *
 *   u_M = M.update(g) ;  u_D = D.update(g)            // both advance their own state from the same g
 *   for each group G:  nM = ||u_M[G]|| , nD = ||u_D[G]||   // Frobenius over G's tensors, float64
 *     u[G] = (nM / nD) * u_D[G]   if nD > 0 (and both norms finite)
 *     u[G] = 0                    otherwise, marked invalid (ratio null: never 0/Infinity)
 *
 * The per-group norms of the last step stay in the state (`norms`), so a probe reads them without
 * recomputing. Neither inner optimizer follows its own trajectory: both see the grafted weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertSameStructure, groupNorms, mapParams, perTensor, type GroupOf, type ParamMap } from '../core/params.js';
import { tidyUpdate, type Optimizer } from './base.js';

/** What one grafted step measured for one group. */
export interface GroupNorms {
  /** nM = ||u_M[G]||: the step length M would have taken. */
  readonly magnitude: number;
  /** nD = ||u_D[G]||: the step length D would have taken. */
  readonly direction: number;
  /** ||g[G]||: the gradient norm of the group. */
  readonly grad: number;
  /** nM / nD, or null when the sample is invalid. */
  readonly ratio: number | null;
  /** false when nD = 0 or a norm is not finite; the group then took a zero step. */
  readonly valid: boolean;
}

export interface GraftState<SM, SD> {
  readonly magnitude: SM;
  readonly direction: SD;
  /** Number of grafted steps taken. */
  readonly count: number;
  /** group -> norms of the last step (empty before the first step). */
  readonly norms: Readonly<Record<string, GroupNorms>>;
}

export interface GraftOptions<SM, SD> {
  /** M: gives each group's step length. */
  magnitude: Optimizer<SM>;
  /** D: gives each group's direction. For a probe whose trace drives stateless SGD, plain `sgd`. */
  direction: Optimizer<SD>;
  /** Grouping: per tensor by default; coarser groups (per block, per type, `globalGroup`) allowed. */
  groupOf?: GroupOf;
}

/** Norms of one group from the three per-group norm tables. */
function measure(nM: number, nD: number, nG: number): GroupNorms {
  const valid = nD > 0 && Number.isFinite(nD) && Number.isFinite(nM);
  return { magnitude: nM, direction: nD, grad: nG, ratio: valid ? nM / nD : null, valid };
}

function checkInner(role: string, grads: ParamMap, u: ParamMap): void {
  try {
    assertSameStructure(grads, u, ['the gradients', `the ${role} update`]);
  } catch (e) {
    throw new Error(`graft: ${(e as Error).message}; the ${role} optimizer must return one update per gradient`);
  }
}

/** M#D grafting as an optimizer value whose state holds both inner states and the last norms. */
export function graft<SM, SD>(options: GraftOptions<SM, SD>): Optimizer<GraftState<SM, SD>> {
  const { magnitude: M, direction: D, groupOf = perTensor } = options;
  return {
    spec: { name: 'graft', magnitude: M.spec ?? { name: 'custom' }, direction: D.spec ?? { name: 'custom' } },
    init: (params) => ({ magnitude: M.init(params), direction: D.init(params), count: 0, norms: {} }),
    update(grads, state, params) {
      return tidyUpdate([grads, state, params], () => {
        const [uM, magnitude] = M.update(grads, state.magnitude, params);
        const [uD, direction] = D.update(grads, state.direction, params);
        checkInner('magnitude', grads, uM);
        checkInner('direction', grads, uD);
        const nM = groupNorms(uM, groupOf);
        const nD = groupNorms(uD, groupOf);
        const nG = groupNorms(grads, groupOf);
        const norms: Record<string, GroupNorms> = {};
        for (const group of Object.keys(nG)) norms[group] = measure(nM[group], nD[group], nG[group]);
        // u[G] = r_G * u_D[G], or zeros for an invalid group.
        const updates = mapParams(uD, (u, name) => {
          const { ratio } = norms[groupOf(name)];
          return ratio === null ? tf.zerosLike(u) : tf.mul(u, ratio);
        });
        return [updates, { magnitude, direction, count: state.count + 1, norms }];
      });
    },
  };
}
