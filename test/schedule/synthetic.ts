/**
 * Synthetic probe traces with a chosen multiplier c_G(t) (test helper, not a test file).
 * Norms are set so that c = uAdamNorm / (eta * gradNorm) is exactly the chosen value:
 * gradNorm = 2, uSgdNorm = 2 (SGD at rate 1), uAdamNorm = c * eta * 2.
 */
import { describeModel, type ProbeInfo } from '../../src/schedule/model-info.js';
import { traceRecorder, type GroupStepNorms, type Trace } from '../../src/schedule/trace.js';

export const PROBE: ProbeInfo = {
  magnitude: { name: 'adam', hyperparameters: { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 } },
  direction: { name: 'sgd', hyperparameters: { lr: 1 } },
  baseSchedule: { kind: 'base', peakLr: 1e-3, warmupSteps: 0, totalSteps: 1000, decay: 'constant', endLr: 0 },
  grouping: 'per-tensor',
  batchSize: 8,
  seqLen: 32,
  steps: 100,
  totalSteps: 1000,
  seed: 7,
  dataFingerprint: 'sha256:0000',
  backend: 'cpu',
  engine: 'tfjs',
};

export const SHAPES: Record<string, number[]> = {
  'embeddings.word_embeddings': [64, 8],
  'encoder.layer.0.attention.self.query.kernel': [8, 8],
  'encoder.layer.0.attention.self.query.bias': [8],
  'cls.predictions.bias': [64],
};

/** Group names in model order (sorted parameter names). */
export const GROUPS = Object.keys(SHAPES).sort();

export interface SyntheticOptions {
  steps?: number[]; // recorded steps (default 0..probe.steps-1)
  totalSteps?: number;
  eta?: (t: number) => number; // base lr (default 1e-3)
  invalid?: (group: string, t: number) => boolean; // mark a sample invalid (SGD norm 0)
  shapes?: Record<string, number[]>;
}

/** A trace whose multiplier for group G at step t is c(G, t). */
export function syntheticTrace(c: (group: string, t: number) => number, o: SyntheticOptions = {}): Trace {
  const shapes = o.shapes ?? SHAPES;
  const totalSteps = o.totalSteps ?? PROBE.totalSteps;
  const probe = { ...PROBE, totalSteps, baseSchedule: { ...PROBE.baseSchedule, totalSteps } };
  const steps = o.steps ?? Array.from({ length: probe.steps }, (_, t) => t);
  probe.steps = steps.length;
  const model = describeModel('bert-mlm', { hiddenSize: 8 }, shapes);
  const rec = traceRecorder({ model, probe });
  for (const t of steps) {
    const eta = o.eta ? o.eta(t) : 1e-3;
    const groups: Record<string, GroupStepNorms> = {};
    for (const g of model.groups) {
      const bad = o.invalid?.(g.name, t) ?? false;
      // An invalid sample carries a wild Adam norm: it must be ignored, not averaged in.
      groups[g.name] = bad
        ? { uAdamNorm: 1e30, uSgdNorm: 0, gradNorm: 2 }
        : { uAdamNorm: c(g.name, t) * eta * 2, uSgdNorm: 2, gradNorm: 2 };
    }
    rec.record({ step: t, loss: 5 - t / 100, eta, groups });
  }
  return rec.finish();
}
