// Graph construction helpers: declares tensors and appends ops in execution order.
import type { ElementType, Graph, Op, TensorDecl, TensorId, TensorRole } from './ops.ts';

export class GraphBuilder {
  private readonly tensors: TensorDecl[] = [];
  private readonly ops: Op[] = [];
  private readonly inputs: Record<string, TensorId> = {};
  private readonly outputs: Record<string, TensorId> = {};
  private readonly weightIds = new Map<string, TensorId>();

  private declare(name: string, shape: readonly number[], type: ElementType, role: TensorRole): TensorId {
    const id = this.tensors.length;
    this.tensors.push({ id, name, shape, type, role });
    return id;
  }

  input(name: string, shape: readonly number[], type: ElementType): TensorId {
    const id = this.declare(name, shape, type, 'input');
    this.inputs[name] = id;
    return id;
  }

  /** A weight by its (HF) name; declaring the same name twice returns the same tensor. */
  weight(name: string, shape: readonly number[], type: ElementType): TensorId {
    const existing = this.weightIds.get(name);
    if (existing !== undefined) return existing;
    const id = this.declare(name, shape, type, 'weight');
    this.weightIds.set(name, id);
    return id;
  }

  activation(name: string, shape: readonly number[], type: ElementType): TensorId {
    return this.declare(name, shape, type, 'activation');
  }

  op(op: Op): void {
    this.ops.push(op);
  }

  output(name: string, id: TensorId): void {
    this.outputs[name] = id;
  }

  build(): Graph {
    return { tensors: this.tensors.slice(), ops: this.ops.slice(), inputs: { ...this.inputs }, outputs: { ...this.outputs } };
  }
}
