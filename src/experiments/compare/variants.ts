/**
 * The static variants of a comparison, enumerated in one place: one probe per (grouping, probe fraction),
 * and per probe one schedule per combination of compression knobs. A variant's name holds every knob that
 * changes its artifact, so runs are keyed (and cached) by all of them. Seeds are not part of a variant:
 * seed k trains with the schedule probed with seed k.
 */
import { RECOMMENDED_PRECONDITIONER_EPS, type CompressOptions } from '../../schedule/compress.js';
import type { GroupingName } from '../../model/groups.js';
import type { CapBasis } from '../../schedule/stability.js';
import type { CompareOptions } from './options.js';
import type { Magnitude } from '../../engine/ort/host-factored.js';

/** The factored eps ratio that variant names leave out: runs made before the ratio was swept used it. */
const UNNAMED_EPS = 0.01;

/** A number as it appears in run names: 3 significant digits (1e-3 -> 0.001). */
export const fmt = (x: number): string => String(Number(x.toPrecision(3)));

export interface ProbeSpec {
  grouping: GroupingName;
  probeFraction: number;
  /** The graft's magnitude (default adam) and the proxy's layer count (0: the model itself). */
  magnitude: Magnitude;
  proxyLayers: number;
  /** Name without the seed, e.g. "probe-tensor-p0.1", "probe-tensor-p0.1-factored-rms-proxy2". */
  name: string;
}

export interface StaticVariant {
  probe: ProbeSpec;
  /** e.g. "tensor-p0.1-constant-skip0.2-norm". */
  name: string;
  /** Options of compressTrace for this variant. */
  compress: Partial<CompressOptions>;
}

/**
 * One probe per (grouping, probe fraction, magnitude, proxy). The magnitude and the proxy appear in the names only
 * when they are not the defaults (adam, the model itself), so runs made before they were swept stay cached.
 */
export function probeSpecs(o: CompareOptions): ProbeSpec[] {
  return o.groupings.flatMap((grouping) =>
    o.probeFractions.flatMap((probeFraction) =>
      (o.magnitudes ?? ['adam' as const]).flatMap((magnitude) =>
        (o.proxyLayers ?? [0]).map((proxyLayers) => {
          const tag = `${grouping}-p${fmt(probeFraction)}${magnitude === 'adam' ? '' : `-${magnitude}`}${proxyLayers > 0 ? `-proxy${proxyLayers}` : ''}`;
          return { grouping, probeFraction, magnitude, proxyLayers, name: `probe-${tag}` };
        }),
      ),
    ),
  );
}

/**
 * The variants built on one probe. A cap (capRatio > 0) adds "-cap<ratio>" to the name; for step norms it caps
 * the per-coordinate step (stability.ts); a cap against the measured stability limits adds "-curvcap<ratio>". A
 * preconditioner other than none needs a step-norm target (a multiplier target pairs with none alone) and
 * adds its kind to the name ("-factored"), and for an eps ratio other than 0.01 (the first default, so
 * earlier runs stay cached under their names) the ratio too ("-factored-e0.1").
 */
export function staticVariants(o: CompareOptions, probe: ProbeSpec): StaticVariant[] {
  const out: StaticVariant[] = [];
  const preconditioners = o.preconditioners ?? ['none'];
  const epsRatios = o.preconditionerEps ?? [RECOMMENDED_PRECONDITIONER_EPS];
  for (const method of o.methods) {
    for (const target of o.targets) {
      for (const skipFraction of o.skipFractions) {
        for (const [capRatio, capBy] of capSettings(o)) {
          for (const preconditioner of target === 'stepNorm' ? preconditioners : ['none' as const]) {
            for (const preconditionerEps of preconditioner === 'none' ? [undefined] : epsRatios) {
              const name =
                `${probeTag(probe)}-${method}-skip${fmt(skipFraction)}` +
                `${capRatio > 0 ? `-${capBy === 'curvature' ? 'curv' : ''}cap${fmt(capRatio)}` : ''}${target === 'stepNorm' ? '-norm' : ''}${preconditioner !== 'none' ? `-${preconditioner}` : ''}` +
                `${preconditionerEps !== undefined && preconditionerEps !== UNNAMED_EPS ? `-e${fmt(preconditionerEps)}` : ''}`;
              out.push({
                probe,
                name,
                compress: {
                  method,
                  skipFraction,
                  capRatio,
                  ...(capBy === 'curvature' ? { capBy } : {}),
                  target,
                  preconditioner,
                  zeroGradTol: o.zeroGradTol,
                  minMultiplier: o.minMultiplier,
                  maxMultiplier: o.maxMultiplier,
                  ...(preconditionerEps !== undefined ? { preconditionerEps } : {}),
                },
              });
            }
          }
        }
      }
    }
  }
  return out;
}

/** The probe's part of a variant name: "tensor-p0.1", "tensor-p0.1-factored-rms-proxy2". */
function probeTag(p: ProbeSpec): string {
  return p.name.slice('probe-'.length);
}

/** (capRatio, capBy) pairs: every basis for each cap > 0, and no cap once. */
function capSettings(o: CompareOptions): [number, CapBasis][] {
  const bases = o.capBases ?? ['size'];
  return o.capRatios.flatMap((r) => (r > 0 ? bases.map((b) => [r, b] as [number, CapBasis]) : [[0, 'size'] as [number, CapBasis]]));
}

/** Every variant of every probe. */
export function allStaticVariants(o: CompareOptions): StaticVariant[] {
  return probeSpecs(o).flatMap((p) => staticVariants(o, p));
}
