// The matmul epilogues, defined once for the matmul families that take this file: the uniform `params.epilogue`
// selects what is applied to x·wᵀ + b before the store. A uniform, not an override: one pipeline serves every
// epilogue, so a model's first forward compiles one matmul instead of three (none, GELU, tanh) — on lavapipe, which
// compiles at first dispatch, ~0.35 s each of cold start; the switch on a uniform costs nothing per element.
// src/gpu/kernels.ts reads the codes below (MatmulEpilogue), so TypeScript never restates them. Appended to kernels
// whose Params has `epilogue: u32` and that declare a `residual` storage binding of `elem` (read only for
// EPILOGUE_RESIDUAL) and also take lib/erf.wgsl (geluErf, geluTanh, tanhStable).

const EPILOGUE_NONE: u32 = 0u;
const EPILOGUE_GELU: u32 = 1u;       // GELU, erf form (HF "gelu")
const EPILOGUE_RESIDUAL: u32 = 2u;   // + residual (M, N)
const EPILOGUE_GELU_TANH: u32 = 3u;  // GELU, tanh approximation (HF "gelu_new")
const EPILOGUE_RELU: u32 = 4u;
const EPILOGUE_TANH: u32 = 5u;       // the pooler

// v: the f32 value x·wᵀ + b of output element idx (row-major in y).
fn applyEpilogue(v: f32, idx: u32) -> f32 {
  switch params.epilogue {
    case EPILOGUE_GELU: { return geluErf(v); }
    case EPILOGUE_RESIDUAL: { return v + f32(residual[idx]); }
    case EPILOGUE_GELU_TANH: { return geluTanh(v); }
    case EPILOGUE_RELU: { return max(v, 0.0); }
    case EPILOGUE_TANH: { return tanhStable(v); }
    default: { return v; }
  }
}
