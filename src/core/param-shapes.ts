/**
 * The one name-and-shape check: do some parameters (weights, a checkpoint, a schedule's recorded model) have
 * exactly the names and shapes another table expects? Every place that compares two models uses it, so a
 * mismatch reads the same everywhere: "<what>: <remedy> (<up to 4 differences>; +k more)".
 */

/** name -> shape. */
export type ShapeTable = Readonly<Record<string, readonly number[]>>;

/** How the two sides are called in messages, e.g. { have: 'the checkpoint', want: 'the model' }. */
export interface ShapeSides {
  have: string;
  want: string;
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/** One phrase per difference, names sorted: a missing name, a name `want` does not have, a different shape. */
export function shapeDifferences(have: ShapeTable, want: ShapeTable, sides: ShapeSides): string[] {
  const names = [...new Set([...Object.keys(have), ...Object.keys(want)])].sort();
  const out: string[] = [];
  for (const name of names) {
    const h = have[name],
      w = want[name];
    if (h === undefined) out.push(`"${name}" [${w}] is missing from ${sides.have}`);
    else if (w === undefined) out.push(`"${name}" [${h}] is not in ${sides.want}`);
    else if (!sameShape(h, w)) out.push(`"${name}" is [${h}] in ${sides.have} but [${w}] in ${sides.want}`);
  }
  return out;
}

/** Differences for a message: the first four, then how many more. */
export function describeDifferences(diffs: readonly string[]): string {
  return diffs.slice(0, 4).join('; ') + (diffs.length > 4 ? `; +${diffs.length - 4} more` : '');
}

/**
 * Throws one line unless `have` has exactly the names and shapes of `want`:
 * "<what>: <remedy> (<differences>)", e.g. "checkpoint x was made for another model: start a new run (...)".
 */
export function checkNamesAndShapes(have: ShapeTable, want: ShapeTable, o: ShapeSides & { what: string; remedy: string }): void {
  const diffs = shapeDifferences(have, want, o);
  if (diffs.length > 0) throw new Error(`${o.what}: ${o.remedy} (${describeDifferences(diffs)})`);
}

/** The shape table of anything with a `shape` per name (host arrays, tensors). */
export function shapesOf(params: Readonly<Record<string, { readonly shape: readonly number[] }>>): Record<string, readonly number[]> {
  const out: Record<string, readonly number[]> = {};
  for (const [name, p] of Object.entries(params)) out[name] = p.shape;
  return out;
}
