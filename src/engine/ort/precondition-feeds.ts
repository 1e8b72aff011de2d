/**
 * Feeds of the fused SGD graph's fixed preconditioner (buildSgdGraph's `preconditioned` option), built once
 * from the artifact's factors and fed unchanged every step (src/optim/precondition.ts has the formula):
 *   matrix (r, c): precond_rows (r, 1) = R / mean(R),  precond_cols (1, c) = C,  precond_eps2 () = eps^2;
 *                  the graph builds P = 1 / sqrt(rows * cols + eps2) each step, so only O(r + c) numbers live
 *   vector:        precond (size) = P = 1 / sqrt(v + eps^2), computed here once (preconditionerValues)
 */
import { float32Feed, type Feed } from '../../runtime/ort.js';
import { checkFactorsFit, preconditionerValues, prepareFactors, type CoordinateFactors } from '../../optim/precondition.js';
import { precondInputs, type PreconditionedAs } from './graphs.js';

export interface PreconditionFeeds {
  /** How each parameter (sorted-name order) gets its P, for buildSgdGraph. */
  preconditioned: (PreconditionedAs | undefined)[];
  /** The constant inputs, added to every step's feeds. */
  feeds: Record<string, Feed>;
}

/** Every parameter needs factors; throws naming a missing one or a shape mismatch. */
export function preconditionFeeds(
  shapes: Readonly<Record<string, number[]>>,
  factors: Readonly<Record<string, CoordinateFactors>>,
): PreconditionFeeds {
  const op = 'fused SGD preconditioner';
  const feeds: Record<string, Feed> = {};
  const preconditioned = Object.keys(shapes).map((name): PreconditionedAs => {
    const f = factors[name];
    if (!f) throw new Error(`${op}: no factors for ${name}: use a schedule made for this model`);
    const shape = shapes[name];
    const p = prepareFactors(name, f, op);
    checkFactorsFit(name, p, shape, op);
    const inputs = precondInputs(name);
    if (p.kind === 'matrix') {
      feeds[inputs.rows] = float32Feed(p.rowsOverMean, [shape[0], 1]);
      feeds[inputs.cols] = float32Feed(p.cols, [1, shape[1]]);
      feeds[inputs.eps2] = float32Feed(Float32Array.of(p.eps2), []);
      return 'factors';
    }
    feeds[inputs.values] = float32Feed(Float32Array.from(preconditionerValues(f)), shape); // P = 1 / sqrt(v + eps^2)
    return 'values';
  });
  return { preconditioned, feeds };
}
