/**
 * Flags of the compression step, shared by `extract` and `compress`: built from COMPRESS_SCHEMA.
 */
import { withRecommendedDefaults, type CompressOptions } from '../schedule/compress.js';
import { COMPRESS_SCHEMA } from '../schedule/compress-schema.js';
import type { FlagSpecs, ParsedArgs } from './args.js';
import { flagsOf, optionsFrom } from './schema-flags.js';

export const compressFlags: FlagSpecs = flagsOf(COMPRESS_SCHEMA);

export function compressOptionsFrom(args: ParsedArgs): Partial<CompressOptions> {
  return withRecommendedDefaults(optionsFrom(COMPRESS_SCHEMA, args) as Partial<CompressOptions>);
}
