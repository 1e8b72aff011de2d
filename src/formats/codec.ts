/**
 * The schedule artifact's and the raw trace file's binary building blocks, which are every graftlr file's:
 *
 * - numeric arrays as plain msgpack values `{dtype, shape, data: <little-endian bytes>}` (src/formats/array-codec.ts);
 * - a canonical msgpack encoding (keys sorted, smallest forms) whose sha256 is the file's checksum (src/formats/canonical.ts);
 * - a container: a msgpack map with `format`, `version`, ..., `checksum`, decoded with checks in the order
 *   magic -> version -> checksum, each failing with a one-line message that says what to do (src/formats/container.ts).
 *
 * See artifacts/FORMAT.md for the byte layout and a Python reader.
 */
export { packArray, unpackArray, type DType, type NumericArray, type PackedArray } from './array-codec.js';
export { canonicalEncode, checksumOf, isPlainObject, shortHash } from './canonical.js';
export { decodeContainer, encodeContainer, type ContainerSpec } from './container.js';
