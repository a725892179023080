// WAT for the vector math the kernels share: exp, erf, tanh (WebAssembly has no transcendental instructions) and the
// matmul epilogues built on them. Four f32 lanes at a time; accuracy is a few ulp of f32 (exp: Cephes' expf
// polynomial, erf: Abramowitz & Stegun 7.1.26, |error| ≤ 1.5e-7), well inside the 1e-4 the forward is held to.

/** `fma(a, b, c)` = a·b + c: relaxed-SIMD's fused multiply-add where the engine has it, else multiply then add. */
export function fmaOp(relaxed: boolean): (a: string, b: string, c: string) => string {
  return relaxed
    ? (a, b, c) => `(f32x4.relaxed_madd ${a} ${b} ${c})`
    : (a, b, c) => `(f32x4.add (f32x4.mul ${a} ${b}) ${c})`;
}

/** Epilogue codes the gemm kernel takes (the residual is a separate pointer, not a code). */
export const EPILOGUE_CODE = { none: 0, gelu: 1, geluTanh: 2, relu: 3, tanh: 4 } as const;

const splat = (v: number) => `(f32x4.splat (f32.const ${v}))`;

export function mathWat(relaxed: boolean): string {
  const fma = fmaOp(relaxed);
  return `
  ;; e^x per lane; 0 below -87.3 (so a masked score of -inf gives exactly 0), clamped at 88.3 above.
  (func $exp4 (param $x v128) (result v128) (local $n v128) (local $r v128) (local $p v128) (local $lo v128)
    (local.set $lo (f32x4.lt (local.get $x) ${splat(-87.3)}))
    (local.set $x (f32x4.min (f32x4.max (local.get $x) ${splat(-87.3)}) ${splat(88.3)}))
    (local.set $n (f32x4.nearest (f32x4.mul (local.get $x) ${splat(1.4426950408889634)})))
    ;; r = x - n·ln2, ln2 split in two so the product is exact to f32.
    (local.set $r ${fma('(local.get $n)', splat(-0.693359375), '(local.get $x)')})
    (local.set $r ${fma('(local.get $n)', splat(2.12194440e-4), '(local.get $r)')})
    (local.set $p ${splat(1.9875691500e-4)})
    (local.set $p ${fma('(local.get $p)', '(local.get $r)', splat(1.3981999507e-3))})
    (local.set $p ${fma('(local.get $p)', '(local.get $r)', splat(8.3334519073e-3))})
    (local.set $p ${fma('(local.get $p)', '(local.get $r)', splat(4.1665795894e-2))})
    (local.set $p ${fma('(local.get $p)', '(local.get $r)', splat(1.6666665459e-1))})
    (local.set $p ${fma('(local.get $p)', '(local.get $r)', splat(5.0000001201e-1))})
    (local.set $p (f32x4.add ${fma('(local.get $p)', '(f32x4.mul (local.get $r) (local.get $r))', '(local.get $r)')} ${splat(1)}))
    ;; · 2^n, built in the exponent bits (n in [-126, 128)).
    (local.set $p (f32x4.mul (local.get $p)
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $n)) (i32x4.splat (i32.const 127))) (i32.const 23))))
    (v128.andnot (local.get $p) (local.get $lo)))

  ;; erf(x), Abramowitz & Stegun 7.1.26 on |x|, sign restored.
  (func $erf4 (param $x v128) (result v128) (local $a v128) (local $t v128) (local $p v128)
    (local.set $a (f32x4.abs (local.get $x)))
    (local.set $t (f32x4.div ${splat(1)} ${fma('(local.get $a)', splat(0.3275911), splat(1))}))
    (local.set $p ${splat(1.061405429)})
    (local.set $p ${fma('(local.get $p)', '(local.get $t)', splat(-1.453152027))})
    (local.set $p ${fma('(local.get $p)', '(local.get $t)', splat(1.421413741))})
    (local.set $p ${fma('(local.get $p)', '(local.get $t)', splat(-0.284496736))})
    (local.set $p ${fma('(local.get $p)', '(local.get $t)', splat(0.254829592))})
    (local.set $p (f32x4.sub ${splat(1)} (f32x4.mul (f32x4.mul (local.get $p) (local.get $t))
      (call $exp4 (f32x4.neg (f32x4.mul (local.get $a) (local.get $a)))))))
    ;; copy the sign bit of x onto the result
    (v128.or (local.get $p) (v128.and (local.get $x) (i32x4.splat (i32.const 0x80000000)))))

  ;; tanh(x) = sign(x)·(1 − 2/(e^{2|x|} + 1))
  (func $tanh4 (param $x v128) (result v128) (local $e v128)
    (local.set $e (call $exp4 (f32x4.mul (f32x4.abs (local.get $x)) ${splat(2)})))
    (local.set $e (f32x4.sub ${splat(1)} (f32x4.div ${splat(2)} (f32x4.add (local.get $e) ${splat(1)}))))
    (v128.or (local.get $e) (v128.and (local.get $x) (i32x4.splat (i32.const 0x80000000)))))

  ;; The matmul epilogue by code (EPILOGUE_CODE): none, GELU (erf), GELU (tanh), ReLU, tanh.
  (func $act4 (param $x v128) (param $code i32) (result v128)
    (if (i32.eqz (local.get $code)) (then (return (local.get $x))))
    (if (i32.eq (local.get $code) (i32.const 1)) (then (return
      (f32x4.mul (f32x4.mul (local.get $x) ${splat(0.5)})
        (f32x4.add ${splat(1)} (call $erf4 (f32x4.mul (local.get $x) ${splat(Math.SQRT1_2)})))))))
    (if (i32.eq (local.get $code) (i32.const 2)) (then (return
      (f32x4.mul (f32x4.mul (local.get $x) ${splat(0.5)})
        (f32x4.add ${splat(1)} (call $tanh4 (f32x4.mul ${fma('(f32x4.mul (local.get $x) (local.get $x))', splat(0.044715), splat(1))}
          (f32x4.mul (local.get $x) ${splat(Math.sqrt(2 / Math.PI))}))))))))
    (if (i32.eq (local.get $code) (i32.const 3)) (then (return (f32x4.max (local.get $x) ${splat(0)}))))
    (call $tanh4 (local.get $x)))

  ;; Test hook: applies an epilogue to n floats in place (n a multiple of 4).
  (func (export "act") (param $p i32) (param $n i32) (param $code i32) (local $end i32)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (v128.store (local.get $p) (call $act4 (v128.load (local.get $p)) (local.get $code)))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $l))))
`;
}
