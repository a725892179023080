// erf for f32 (WGSL has none), and the two GELU forms HF configs name.
// erf: odd rational minimax approximation erf(x) ≈ x·P(x²)/Q(x²) on [-4, 4] (the form Eigen and XLA use for f32);
//   |x| > 4 saturates to ±1 (erf(4) = 1 − 1.5e-8, below f32 resolution at 1). Error: a few f32 ulp, checked against
//   a float64 series in the tests.
// geluErf(x) = x·Φ(x) = 0.5·x·(1 + erf(x/√2))  — HF "gelu" (exact form, BERT's default).
// geluTanh(x) = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))  — HF "gelu_new" / "gelu_pytorch_tanh".

fn erf32(xIn: f32) -> f32 {
  let x = clamp(xIn, -4.0, 4.0);
  let x2 = x * x;
  var p = x2 * -2.72614225801306e-10 + 2.77068142495902e-08;
  p = x2 * p + -2.10102402082508e-06;
  p = x2 * p + -5.69250639462346e-05;
  p = x2 * p + -7.34990630326855e-04;
  p = x2 * p + -2.95459980854025e-03;
  p = x2 * p + -1.60960333262415e-02;
  p = x * p;
  var q = x2 * -1.45660718464996e-05 + -2.13374055278905e-04;
  q = x2 * q + -1.68282697438203e-03;
  q = x2 * q + -7.37332916720468e-03;
  q = x2 * q + -1.42647390514189e-02;
  return p / q;
}

fn geluErf(x: f32) -> f32 {
  return 0.5 * x * (1.0 + erf32(x * 0.7071067811865476));
}

// tanh through exp of a non-positive argument: large |u| cannot overflow to inf/inf (WGSL's builtin tanh is only
// as precise as sinh/cosh, which some backends compute as a NaN-prone quotient). Also the pooler's epilogue.
fn tanhStable(u: f32) -> f32 {
  let e = exp(-2.0 * abs(u));
  return sign(u) * (1.0 - e) / (1.0 + e);
}

fn geluTanh(x: f32) -> f32 {
  return 0.5 * x * (1.0 + tanhStable(0.7978845608028654 * (x + 0.044715 * x * x * x)));
}
