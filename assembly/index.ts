// The kernel module: pointer-in, pointer-out primitives. Nothing here allocates.
export * from "./elementwise";
export * from "./memory";
export * from "./reduce";
export { gemm_f32, gemm_workspace_bytes } from "./gemm";

// The TS allocator must start above the module's static data.
export function heap_base(): usize { return __heap_base; }
