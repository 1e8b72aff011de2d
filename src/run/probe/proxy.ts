/**
 * Probing a shallower proxy: the probe runs on a copy of the model with N of its L encoder layers (same width,
 * same embeddings and head), and its trace is mapped onto the full model's groups before compression, so the
 * artifact is the full model's and `train` checks it as usual.
 *
 *   embeddings, head:     by name (the same tensors in both models)
 *   encoder layer k of L: proxy layer j(k) = floor((k + 1/2) N / L)    (relative depth (k + 1/2) / L lands in
 *                                                                        proxy layer j's slice [j/N, (j+1)/N))
 * Every per-step column, the second-moment factors and the stability limits are copied from the source group or
 * tensor; the time profile is unchanged. Step norms are absolute (||u[G]||), so a group must be one tensor or one
 * layer: the groupings 'tensor' and 'block'. 'type' and 'global' groups span layers and would change size.
 */
import type { GroupInfo, ModelInfo, ProbeProxy } from '../../schedule/model-info.js';
import type { MomentFactors } from '../../schedule/second-moments.js';
import { PER_GROUP_COLUMNS, type Trace } from '../../schedule/trace.js';

const LAYER = /^encoder\.layer\.(\d+)(?=\.|$)/;

/** j(k) for every full-model layer k (see the file comment). */
export function proxyLayerMap(proxyLayers: number, fullLayers: number): number[] {
  if (!Number.isInteger(proxyLayers) || proxyLayers < 1 || proxyLayers >= fullLayers) {
    throw new Error(
      `proxyLayers = ${proxyLayers} is invalid: expected an integer in [1, ${fullLayers - 1}] (the model has ${fullLayers} layers)`,
    );
  }
  return Array.from({ length: fullLayers }, (_, k) => Math.floor(((k + 0.5) * proxyLayers) / fullLayers));
}

/** The proxy's name of a full-model group or parameter name. */
function sourceName(name: string, layerMap: readonly number[]): string {
  return name.replace(LAYER, (_, k: string) => `encoder.layer.${layerMap[Number(k)]}`);
}

/** Checks that the proxy's group `from` can stand for the full model's group `to`. */
function checkSameShape(to: GroupInfo, from: GroupInfo | undefined, grouping: string): void {
  if (!from)
    throw new Error(
      `proxy: the proxy model has no group for "${to.name}" (grouping ${grouping}); probe a proxy with grouping tensor or block`,
    );
  if (from.size !== to.size || from.shape.join('x') !== to.shape.join('x')) {
    throw new Error(
      `proxy: group "${to.name}" has ${to.size} values but its proxy group "${from.name}" has ${from.size}; ` +
        `grouping ${grouping} spans layers: probe a proxy with grouping tensor or block`,
    );
  }
}

/**
 * The trace of a probe on the proxy, as if the full model had been probed (see the file comment). `full` describes
 * the full model with the same grouping; `layerMap` is proxyLayerMap(N, L). Returns a new trace; `trace` is unchanged.
 */
export function mapProxyTrace(trace: Trace, full: ModelInfo, layerMap: readonly number[]): Trace {
  const proxyModel = trace.meta.model;
  const grouping = trace.meta.probe.grouping;
  const proxyIndex = new Map(proxyModel.groups.map((g, i) => [g.name, i]));
  const sources = full.groups.map((g) => {
    const name = sourceName(g.name, layerMap);
    checkSameShape(g, proxyModel.groups[proxyIndex.get(name) ?? -1], grouping);
    return proxyIndex.get(name)!;
  });
  const n = trace.steps.length,
    G = full.groups.length,
    Gp = proxyModel.groups.length;
  const pick = <A extends Float64Array | Uint8Array>(column: A, make: (size: number) => A): A => {
    const out = make(n * G);
    for (let i = 0; i < n; i++) for (let g = 0; g < G; g++) out[i * G + g] = column[i * Gp + sources[g]];
    return out;
  };
  const mapped: Trace = {
    ...trace,
    meta: { model: full, probe: { ...trace.meta.probe, proxy: proxyInfo(proxyModel, layerMap) } },
    valid: pick(trace.valid, (s) => new Uint8Array(s)),
  };
  for (const column of PER_GROUP_COLUMNS) mapped[column] = pick(trace[column], (s) => new Float64Array(s));
  if (trace.secondMoments) {
    const params: Record<string, MomentFactors> = {};
    for (const p of full.params) {
      const from = trace.secondMoments.params[sourceName(p.name, layerMap)];
      if (!from) throw new Error(`proxy: the probe's second moments have no entry for "${sourceName(p.name, layerMap)}"`);
      params[p.name] = from;
    }
    mapped.secondMoments = { ...trace.secondMoments, params };
  }
  if (trace.stability) {
    const s = trace.stability;
    const perGroup = (a: Float64Array) => Float64Array.from(sources, (g) => a[g]);
    mapped.stability = {
      batches: s.batches,
      stepLength: perGroup(s.stepLength),
      slope: perGroup(s.slope),
      curvature: perGroup(s.curvature),
      limit: perGroup(s.limit),
    };
  }
  return mapped;
}

/** What the artifact records of a proxy probe. */
function proxyInfo(proxy: ModelInfo, layerMap: readonly number[]): ProbeProxy {
  return { numLayers: Number(proxy.config.numLayers), layerMap: [...layerMap], fingerprint: proxy.fingerprint };
}
