import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openMetricsLog } from '../../../src/run/train/metrics.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'graftlr-metrics-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const lines = (file: string): unknown[] =>
  fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

describe('metrics log', () => {
  it('writes each record through at once, non-finite numbers as null', () => {
    const file = path.join(tmp, 'a', 'metrics.jsonl');
    const log = openMetricsLog(file);
    log.append({ step: 0, loss: 2.5 });
    // Readable before close: nothing is buffered in the process.
    expect(lines(file)).toEqual([{ step: 0, loss: 2.5 }]);
    log.append({ step: 1, loss: NaN, lr: Infinity });
    log.close();
    expect(lines(file)).toEqual([
      { step: 0, loss: 2.5 },
      { step: 1, loss: null, lr: null },
    ]);
    expect(() => log.append({ step: 2 })).toThrow('is closed');
    // Opening again without resumeFrom starts a fresh log.
    openMetricsLog(file).close();
    expect(fs.readFileSync(file, 'utf8')).toBe('');
  });

  it('on resume drops records at or past the resume step and a half-written last line', () => {
    const file = path.join(tmp, 'metrics.jsonl');
    fs.writeFileSync(file, '{"step":0}\n{"step":1}\n{"event":"eval"}\n{"step":2}\n{"step":3}\n{"st');
    const log = openMetricsLog(file, { resumeFrom: 2 });
    log.append({ step: 2, loss: 1 });
    log.close();
    expect(lines(file)).toEqual([{ step: 0 }, { step: 1 }, { event: 'eval' }, { step: 2, loss: 1 }]);
  });
});
