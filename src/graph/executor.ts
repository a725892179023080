// Runs a Plan: writes the inputs, records every step into one compute pass, copies the requested outputs to their
// readback buffers and submits once. Runs of one plan are serialised (they share buffers); different plans may
// overlap on the queue. A profiling run (profilePlan) records one pass per step instead, each with timestamps, so
// ordinary forwards never pay for the extra passes.
import { fromF16Bits } from '../gpu/f16.ts';
import type { Plan } from './plan.ts';
import { createStepTimer, type StepTimer } from './step-timer.ts';

export type PlanInputs = Readonly<Record<string, Uint32Array | Int32Array>>;

const chains = new WeakMap<Plan, Promise<unknown>>();

function serialised<T>(plan: Plan, run: () => Promise<T>): Promise<T> {
  const previous = chains.get(plan) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(run);
  chains.set(plan, next);
  return next;
}

export function runPlan(device: GPUDevice, plan: Plan, inputs: PlanInputs, outputs?: readonly string[]): Promise<Record<string, Float32Array>> {
  return serialised(plan, () => runNow(device, plan, inputs, outputs));
}

/**
 * One run of the plan with the GPU time of every step (ms, in plan.steps order) from timestamp queries. Throws,
 * before anything runs, where the device has no timestamp-query.
 */
export function profilePlan(device: GPUDevice, plan: Plan, inputs: PlanInputs, outputs?: readonly string[]): Promise<{ outputs: Record<string, Float32Array>; stepMs: number[] }> {
  const timer = createStepTimer(device, plan.steps.length);
  return serialised(plan, async () => {
    try {
      const result = await runNow(device, plan, inputs, outputs, timer);
      return { outputs: result, stepMs: await timer.read() };
    } finally {
      timer.destroy();
    }
  });
}

/** Resolves when every run queued on this plan so far has finished (its buffers may then be freed). */
export function whenIdle(plan: Plan): Promise<void> {
  return (chains.get(plan) ?? Promise.resolve()).then(() => undefined, () => undefined);
}

async function runNow(device: GPUDevice, plan: Plan, inputs: PlanInputs, wanted?: readonly string[], timer?: StepTimer): Promise<Record<string, Float32Array>> {
  const { graph } = plan;
  for (const [name, id] of Object.entries(graph.inputs)) {
    const data = inputs[name];
    const decl = graph.tensors[id];
    const n = decl.shape.reduce((a, b) => a * b, 1);
    if (!data) throw new Error(`run: missing input '${name}'`);
    if (data.length !== n) throw new Error(`run: input '${name}' has ${data.length} elements, the plan expects ${n} (${decl.shape.join('×')})`);
    device.queue.writeBuffer(plan.buffers.get(id)!, 0, data.buffer, data.byteOffset, data.byteLength);
  }
  const names = wanted ?? Object.keys(graph.outputs);
  for (const name of names) if (!(name in graph.outputs)) throw new Error(`run: unknown output '${name}' (have ${Object.keys(graph.outputs).join(', ')})`);

  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  const encoder = device.createCommandEncoder({ label: 'forward' });
  if (timer) {
    plan.steps.forEach((step, i) => {
      const pass = encoder.beginComputePass({ label: `${i}:${step.kernel}`, timestampWrites: timer.writes(i) });
      pass.setPipeline(step.pipeline);
      pass.setBindGroup(0, step.bindGroup);
      pass.dispatchWorkgroups(step.grid[0], step.grid[1], step.grid[2]);
      pass.end();
    });
    timer.resolve(encoder);
  } else {
    const pass = encoder.beginComputePass({ label: 'forward' });
    for (const step of plan.steps) {
      pass.setPipeline(step.pipeline);
      pass.setBindGroup(0, step.bindGroup);
      pass.dispatchWorkgroups(step.grid[0], step.grid[1], step.grid[2]);
    }
    pass.end();
  }
  for (const name of names) {
    const src = plan.buffers.get(graph.outputs[name])!;
    const dst = plan.staging.get(name)!;
    encoder.copyBufferToBuffer(src, 0, dst, 0, dst.size);
  }
  device.queue.submit([encoder.finish()]);
  // Both scopes are popped before any await: the device's scope stack is shared with concurrent work (another plan,
  // a pipeline being compiled), which must not push or pop between our push and pop.
  const scopes = [device.popErrorScope(), device.popErrorScope()];
  // The readbacks are requested with the scopes, not after them: waiting for one and then the other cost a second
  // round trip to the device per forward (~1.5 ms of a tiny model's ~4.5 ms call in Node).
  const stagings = names.map((name) => plan.staging.get(name)!);
  const maps = stagings.map((staging) => staging.mapAsync(GPUMapMode.READ));
  const [scopeResults, mapResults] = await Promise.all([Promise.all(scopes), Promise.allSettled(maps)]);
  const [validation, oom] = scopeResults;
  const failedMap = mapResults.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (validation || oom || failedMap) {
    // Buffers that did map must be unmapped, or the plan's next run could not map them again.
    mapResults.forEach((r, i) => r.status === 'fulfilled' && stagings[i].unmap());
    if (validation || oom) throw new Error(`forward pass failed: ${(validation ?? oom)!.message}`);
    throw failedMap!.reason;
  }

  const result: Record<string, Float32Array> = {};
  names.forEach((name, i) => {
    const staging = stagings[i];
    const decl = graph.tensors[graph.outputs[name]];
    try {
      const bytes = staging.getMappedRange();
      // The staging buffer is padded to 4 bytes; the element count comes from the tensor's shape.
      const n = decl.shape.reduce((a, b) => a * b, 1);
      result[name] = decl.type === 'f16' ? fromF16Bits(new Uint16Array(bytes, 0, n)) : new Float32Array(bytes.slice(0, n * 4));
    } finally {
      staging.unmap();
    }
  });
  return result;
}

