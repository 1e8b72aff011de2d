/**
 * graftlr export-schedule <artifact> --format json|torch: per-parameter multipliers for other trainers.
 */
import { writeFileAtomic } from '../formats/atomic.js';
import { exportScheduleJson, exportScheduleTorch } from '../schedule/export.js';
import { loadArtifact } from '../schedule/files.js';
import { flag, UsageError } from './args.js';
import type { Command } from './command.js';

export const exportScheduleCommand: Command = {
  name: 'export-schedule',
  summary: 'write a schedule as JSON keyed by graftlr names (json) or Hugging Face PyTorch BERT names (torch)',
  usage: 'graftlr export-schedule <artifact> --format json|torch [--total-steps N] [--out <file>]',
  details: 'The recipes for torch.optim.SGD param groups + LambdaLR and for optax.multi_transform are in artifacts/FORMAT.md.',
  flags: {
    format: { type: 'string', choices: ['json', 'torch'], default: 'json', help: 'key names and layout' },
    'total-steps': { type: 'int', min: 1, help: 'json: express knots in steps of a run of this length' },
    out: { type: 'string', help: 'file to write (default: stdout)' },
  },
  async run(args, io) {
    if (args.positionals.length !== 1) throw new UsageError('expected exactly one artifact file');
    const artifact = loadArtifact(args.positionals[0]);
    const format = flag.str(args, 'format');
    const data = format === 'torch' ? exportScheduleTorch(artifact) : exportScheduleJson(artifact, flag.int(args, 'total-steps'));
    const text = JSON.stringify(data, null, 2) + '\n';
    const out = flag.str(args, 'out');
    if (out === undefined) io.out(text);
    else {
      writeFileAtomic(out, text);
      io.err(`wrote ${out}`);
    }
    return 0;
  },
};
