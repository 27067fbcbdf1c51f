// The kernel module: pointer-in, pointer-out primitives. Nothing here allocates.
export { unary_f32, unary_backward_f32, binary_f32, where_f32, axpy_f32, Unary, Binary } from "./elementwise";
export * from "./memory";
export * from "./reduce";
export * from "./indexing";
export * from "./loss";
export * from "./embedding";
export { gemm_f32, gemm_workspace_bytes, BiasMode } from "./gemm";
export * from "./qgemm";
export * from "./conv";
export * from "./pool";
export * from "./norm";
export * from "./optim";
export * from "./rnn";
export { set_thread_slot } from "./vmath";
import { SCRATCH_END } from "./vmath";

// The TS allocator must start above the module's static data and the threads' scratch slots.
export function heap_base(): usize { return SCRATCH_END; }
