/**
 * The one name-and-shape check (src/core/param-shapes.ts) and its three users: host weights against a config
 * (onnx/bert-params.ts), a checkpoint's parameters against the model (train/checkpoint.ts) and a schedule's
 * recorded model against the model being trained (schedule/artifact.ts) all say the same thing the same way.
 */
import { describe, expect, it } from 'vitest';
import { checkHostParams } from '../../src/model/onnx/bert-params.js';
import { checkNamesAndShapes, shapeDifferences } from '../../src/core/param-shapes.js';
import { checkArtifactMatchesModel } from '../../src/schedule/artifact.js';
import { checkParamShapes } from '../../src/run/train/checkpoint.js';
import { initValues } from '../../src/model/init.js';
import { bertShapes, fixtureArtifact } from '../fixtures/fixture-artifact.js';
import { toyConfig } from '../run/train/toy.js';

const sides = { have: 'the file', want: 'the model' };

describe('name-and-shape check', () => {
  it('names each missing, extra and reshaped parameter once, in name order', () => {
    const want = { b: [2, 3], a: [4], c: [] };
    expect(shapeDifferences({ a: [4], b: [2, 3], c: [] }, want, sides)).toEqual([]);
    expect(shapeDifferences({ c: [1], d: [5], b: [3, 2] }, want, sides)).toEqual([
      '"a" [4] is missing from the file',
      '"b" is [3,2] in the file but [2,3] in the model',
      '"c" is [1] in the file but [] in the model', // a scalar is not a one-element vector
      '"d" [5] is not in the model',
    ]);
  });

  it('throws "<what>: <remedy> (<first four differences>; +k more)"', () => {
    const want = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`p${i}`, [i + 1]]));
    expect(() => checkNamesAndShapes({}, want, { ...sides, what: 'x was made for another model', remedy: 'start again' })).toThrow(
      'x was made for another model: start again ("p0" [1] is missing from the file; "p1" [2] is missing from the file; "p2" [3] is missing from the file; "p3" [4] is missing from the file; +2 more)',
    );
    expect(() => checkNamesAndShapes(want, { ...want }, { ...sides, what: 'x', remedy: 'y' })).not.toThrow();
  });

  it('weights, checkpoints and schedules are checked by it', () => {
    const params = initValues(toyConfig, 0);
    const name = Object.keys(params).sort()[0];
    const reshaped = { ...params, [name]: { shape: [...params[name].shape, 1], data: params[name].data } };
    expect(() => checkHostParams(toyConfig, reshaped)).toThrow(
      `the parameters do not match the model config: check the config and the weights ("${name}" is [${reshaped[name].shape}] in the parameters but [${params[name].shape}] in the config)`,
    );
    const shapes = Object.fromEntries(Object.entries(params).map(([n, p]) => [n, p.shape]));
    expect(() => checkParamShapes(reshaped, shapes, 'checkpoint in runs/a')).toThrow(
      `checkpoint in runs/a was made for another model: start a new run ("${name}" is [${reshaped[name].shape}] in checkpoint in runs/a but [${params[name].shape}] in the model)`,
    );
    const { ['cls.predictions.bias']: _, ...fewer } = bertShapes();
    expect(() => checkArtifactMatchesModel(fixtureArtifact(), fewer)).toThrow(
      /: re-run extract \("cls\.predictions\.bias" \[16\] is missing from this model\)$/,
    );
  });

  it('checkHostParams also refuses values that do not fill their shape', () => {
    const params = initValues(toyConfig, 0);
    const name = Object.keys(params).sort()[0];
    const short = { ...params, [name]: { shape: params[name].shape, data: params[name].data.subarray(1) } };
    expect(() => checkHostParams(toyConfig, short)).toThrow(
      `parameter "${name}" has ${params[name].data.length - 1} values but shape [${params[name].shape}] holds ${params[name].data.length}`,
    );
  });
});
