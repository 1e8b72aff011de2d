/**
 * A small ONNX graph builder over the protobufjs schema in `onnx-proto`.
 *
 *   const g = new GraphBuilder('demo');
 *   const x = g.input('x', 'float32', ['batch', 4]);
 *   const w = g.initializer('w', 'float32', [4, 2], new Float32Array(8));
 *   g.output(g.op('MatMul', [x, w], {}, 'y'), 'float32', ['batch', 2]);
 *   const bytes = g.toBytes();
 *
 * Names: every value has one producer (a graph input, an initializer or a node output). `uniqueName(hint)`
 * hands out fresh names; `check()` verifies the rules the ONNX checker enforces on structure (unique
 * producers, every node input defined, graph outputs defined), so tests can assert them without Python.
 * Tensors are stored as little-endian `raw_data` (exact bytes; Node runs on little-endian hosts only).
 */
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;

export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool';
/** A dimension: a fixed size, or a name for a dynamic (symbolic) size such as 'batch'. */
export type Dim = number | string;

const DATA_TYPE: Record<DType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float64: onnx.TensorProto.DataType.DOUBLE,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** The dtype name of an ONNX TensorProto.DataType code, or undefined if this library does not use it. */
export function dtypeOf(code: number): DType | undefined {
  return (Object.keys(DATA_TYPE) as DType[]).find((k) => DATA_TYPE[k] === code);
}

/** Node attribute values, tagged with their ONNX type (a JS number alone cannot say int or float). */
export type Attr =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: onnxProto.onnx.ITensorProto };

export const attr = {
  int: (value: number): Attr => ({ kind: 'int', value }),
  float: (value: number): Attr => ({ kind: 'float', value }),
  ints: (value: number[]): Attr => ({ kind: 'ints', value }),
  floats: (value: number[]): Attr => ({ kind: 'floats', value }),
  string: (value: string): Attr => ({ kind: 'string', value }),
  tensor: (value: onnxProto.onnx.ITensorProto): Attr => ({ kind: 'tensor', value }),
};

export type TensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

/** A TensorProto holding `data` as raw little-endian bytes. int64 data may be given as a number[]. */
export function tensorProto(name: string, dtype: DType, dims: number[], data: TensorData | number[]): onnxProto.onnx.ITensorProto {
  const typed = Array.isArray(data) ? toTyped(dtype, data) : data;
  const count = dims.reduce((a, b) => a * b, 1);
  if (typed.length !== count) {
    throw new Error(`tensor "${name}" has ${typed.length} values but shape [${dims}] needs ${count}`);
  }
  const rawData = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength).slice();
  return { name, dataType: DATA_TYPE[dtype], dims, rawData };
}

function toTyped(dtype: DType, values: number[]): TensorData {
  if (dtype === 'float32') return Float32Array.from(values);
  if (dtype === 'float64') return Float64Array.from(values);
  if (dtype === 'int32') return Int32Array.from(values);
  if (dtype === 'int64') return BigInt64Array.from(values.map((v) => BigInt(v)));
  return Uint8Array.from(values);
}

function typeProto(dtype: DType, dims: Dim[]): onnxProto.onnx.ITypeProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { tensorType: { elemType: DATA_TYPE[dtype], shape: { dim } } };
}

function attributeProto(name: string, a: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int':
      return { name, type: T.INT, i: a.value };
    case 'float':
      return { name, type: T.FLOAT, f: a.value };
    case 'ints':
      return { name, type: T.INTS, ints: a.value };
    case 'floats':
      return { name, type: T.FLOATS, floats: a.value };
    case 'string':
      return { name, type: T.STRING, s: new TextEncoder().encode(a.value) };
    case 'tensor':
      return { name, type: T.TENSOR, t: a.value };
  }
}

export interface NodeOptions {
  /** Output names, or how many fresh outputs to make (default 1). */
  outputs?: string[] | number;
  attrs?: Record<string, Attr>;
  /** Name hint for fresh outputs and the node name (default: the op type in lower case). */
  hint?: string;
  /** Operator domain ('' = the default ONNX domain). */
  domain?: string;
}

export interface BuilderOptions {
  /** Default-domain opset version (>= 17; default 17). */
  opset?: number;
  /** Recorded as the model's producer_name. */
  producer?: string;
}

export class GraphBuilder {
  readonly opset: number;
  private readonly producer: string;
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly valueInfos: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly metadata: onnxProto.onnx.IStringStringEntryProto[] = [];
  private readonly extraDomains = new Map<string, number>();
  /** Every name in use (values and node names) -> true. */
  private readonly used = new Set<string>();
  /** Names that have a producer. */
  private readonly defined = new Set<string>();

  constructor(
    readonly name: string,
    options: BuilderOptions = {},
  ) {
    this.opset = options.opset ?? 17;
    if (!Number.isInteger(this.opset) || this.opset < 17) {
      throw new Error(`opset ${options.opset} is not supported: use 17 or later`);
    }
    this.producer = options.producer ?? 'graftlr';
  }

  /** A name not used yet, derived from `hint`: `hint`, then `hint_1`, `hint_2`, ... */
  uniqueName(hint: string): string {
    let name = hint;
    for (let i = 1; this.used.has(name); i++) name = `${hint}_${i}`;
    this.used.add(name);
    return name;
  }

  private define(name: string): string {
    if (this.defined.has(name)) throw new Error(`value "${name}" is defined twice in graph "${this.name}"`);
    this.defined.add(name);
    this.used.add(name);
    return name;
  }

  /** Declares a graph input; returns its name. */
  input(name: string, dtype: DType, dims: Dim[]): string {
    this.inputs.push({ name: this.define(name), type: typeProto(dtype, dims) });
    return name;
  }

  /** Declares an already-defined value as a graph output. */
  output(name: string, dtype: DType, dims: Dim[]): void {
    this.outputs.push({ name, type: typeProto(dtype, dims) });
  }

  /** Adds a constant tensor stored in the graph (a weight); returns its name. */
  initializer(name: string, dtype: DType, dims: number[], data: TensorData | number[]): string {
    this.initializers.push(tensorProto(this.define(name), dtype, dims, data));
    return name;
  }

  /** A small constant as a `Constant` node (shapes, axes, scalars); returns the fresh value name. */
  constant(dtype: DType, dims: number[], data: TensorData | number[], hint = 'const'): string {
    const name = this.uniqueName(hint);
    this.node('Constant', [], { outputs: [name], attrs: { value: attr.tensor(tensorProto(name, dtype, dims, data)) }, hint });
    return name;
  }

  /** Records the type and shape of an intermediate value (optional in ONNX; helps readers and tools). */
  valueInfo(name: string, dtype: DType, dims: Dim[]): void {
    this.valueInfos.push({ name, type: typeProto(dtype, dims) });
  }

  /** Adds a node; returns its output names. Inputs named '' are ONNX's "optional input left out". */
  node(opType: string, inputs: string[], options: NodeOptions = {}): string[] {
    const hint = options.hint ?? opType.toLowerCase();
    const spec = options.outputs ?? 1;
    const outputs = typeof spec === 'number' ? Array.from({ length: spec }, () => this.uniqueName(hint)) : spec;
    for (const o of outputs) this.define(o);
    const attribute = Object.entries(options.attrs ?? {}).map(([k, a]) => attributeProto(k, a));
    const domain = options.domain ?? '';
    if (domain !== '' && !this.extraDomains.has(domain)) this.extraDomains.set(domain, 1);
    this.nodes.push({ name: this.uniqueName(`${hint}_node`), opType, input: inputs, output: outputs, attribute, domain });
    return outputs;
  }

  /** The nodes added so far, in order (read-only: for analyses such as "who reads this value"). */
  get nodeList(): readonly Readonly<onnxProto.onnx.INodeProto>[] {
    return this.nodes;
  }

  /** Adds a single-output node; returns the output name. */
  op(opType: string, inputs: string[], attrs: Record<string, Attr> = {}, hint?: string): string {
    return this.node(opType, inputs, { attrs, hint })[0];
  }

  /** Declares an opset for a non-default domain (e.g. 'com.microsoft', 1). */
  useDomain(domain: string, version: number): void {
    this.extraDomains.set(domain, version);
  }

  /** Adds a metadata_props entry (key -> string value) to the model. */
  setMetadata(key: string, value: string): void {
    const existing = this.metadata.find((m) => m.key === key);
    if (existing) existing.value = value;
    else this.metadata.push({ key, value });
  }

  /**
   * Structural rules of the ONNX checker: nodes in topological order with every non-empty input
   * produced earlier (or a graph input / initializer), every graph output produced, opset >= 17.
   * Throws naming the first violation.
   */
  check(): void {
    const known = new Set<string>([...this.inputs.map((v) => v.name!), ...this.initializers.map((t) => t.name!)]);
    for (const n of this.nodes) {
      for (const i of n.input ?? []) {
        if (i !== '' && !known.has(i)) throw new Error(`node "${n.name}" (${n.opType}) reads "${i}", which is not defined before it`);
      }
      for (const o of n.output ?? []) known.add(o);
    }
    for (const o of this.outputs) {
      if (!known.has(o.name!)) throw new Error(`graph output "${o.name}" is never produced`);
    }
  }

  /** The ModelProto (IR version 8: opset 17/18 era). Runs `check()` first. */
  toModel(): onnxProto.onnx.ModelProto {
    this.check();
    const opsetImport = [{ domain: '', version: this.opset }];
    for (const [domain, version] of this.extraDomains) opsetImport.push({ domain, version });
    return onnx.ModelProto.create({
      irVersion: 8,
      producerName: this.producer,
      opsetImport,
      metadataProps: this.metadata,
      graph: {
        name: this.name,
        node: this.nodes,
        input: this.inputs,
        output: this.outputs,
        initializer: this.initializers,
        valueInfo: this.valueInfos,
      },
    });
  }

  /** Serialised model bytes (the .onnx file contents). */
  toBytes(): Uint8Array {
    return onnx.ModelProto.encode(this.toModel()).finish();
  }
}
