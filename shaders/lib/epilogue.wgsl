// The matmul epilogues, defined once for every matmul family: the EPILOGUE override selects what is applied to
// x·wᵀ + b before the store. src/gpu/kernels.ts reads the codes below (MatmulEpilogue), so TypeScript never restates
// them. Appended to kernels that declare a `residual` storage binding of `elem` (read only when EPILOGUE is
// EPILOGUE_RESIDUAL) and that also take lib/erf.wgsl (geluErf, geluTanh, tanhStable).

const EPILOGUE_NONE: u32 = 0u;
const EPILOGUE_GELU: u32 = 1u;       // GELU, erf form (HF "gelu")
const EPILOGUE_RESIDUAL: u32 = 2u;   // + residual (M, N)
const EPILOGUE_GELU_TANH: u32 = 3u;  // GELU, tanh approximation (HF "gelu_new")
const EPILOGUE_RELU: u32 = 4u;
const EPILOGUE_TANH: u32 = 5u;       // the pooler

override EPILOGUE: u32 = EPILOGUE_NONE;

// v: the f32 value x·wᵀ + b of output element idx (row-major in y).
fn applyEpilogue(v: f32, idx: u32) -> f32 {
  switch EPILOGUE {
    case EPILOGUE_GELU: { return geluErf(v); }
    case EPILOGUE_RESIDUAL: { return v + f32(residual[idx]); }
    case EPILOGUE_GELU_TANH: { return geluTanh(v); }
    case EPILOGUE_RELU: { return max(v, 0.0); }
    case EPILOGUE_TANH: { return tanhStable(v); }
    default: { return v; }
  }
}
