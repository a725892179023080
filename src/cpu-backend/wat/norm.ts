// WAT for LayerNorm rows (two passes: mean, then the variance of x − mean, as PyTorch; biased variance) and the
// embeddings (word + position + token type gathered and summed into the output row, then normalised in place).
// C need not be a multiple of 4: the last C mod 4 columns run as scalars.
import { fmaOp } from './math.ts';

export function normWat(relaxed: boolean): string {
  const fma = fmaOp(relaxed);
  return `
  ;; Horizontal sum of the four lanes.
  (func $hsum (param $v v128) (result f32)
    (f32.add (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; out = (x − mean)·rstd·gamma + beta over one row of C floats (out may be x).
  (func $lnRow (param $x i32) (param $out i32) (param $gamma i32) (param $beta i32) (param $C i32) (param $eps f32)
      (local $c i32) (local $C4 i32) (local $acc v128) (local $s f32) (local $mean f32) (local $rstd f32) (local $d f32)
      (local $vm v128) (local $vr v128) (local $v v128)
    (local.set $C4 (i32.and (local.get $C) (i32.const -4)))
    (local.set $acc (v128.const i32x4 0 0 0 0))
    (local.set $c (i32.const 0))
    (block $d1 (loop $l1 (br_if $d1 (i32.ge_u (local.get $c) (local.get $C4)))
      (local.set $acc (f32x4.add (local.get $acc) (v128.load (i32.add (local.get $x) (i32.shl (local.get $c) (i32.const 2))))))
      (local.set $c (i32.add (local.get $c) (i32.const 4))) (br $l1)))
    (local.set $s (call $hsum (local.get $acc)))
    (block $d2 (loop $l2 (br_if $d2 (i32.ge_u (local.get $c) (local.get $C)))
      (local.set $s (f32.add (local.get $s) (f32.load (i32.add (local.get $x) (i32.shl (local.get $c) (i32.const 2))))))
      (local.set $c (i32.add (local.get $c) (i32.const 1))) (br $l2)))
    (local.set $mean (f32.div (local.get $s) (f32.convert_i32_u (local.get $C))))
    (local.set $vm (f32x4.splat (local.get $mean)))
    (local.set $acc (v128.const i32x4 0 0 0 0))
    (local.set $c (i32.const 0))
    (block $d3 (loop $l3 (br_if $d3 (i32.ge_u (local.get $c) (local.get $C4)))
      (local.set $v (f32x4.sub (v128.load (i32.add (local.get $x) (i32.shl (local.get $c) (i32.const 2)))) (local.get $vm)))
      (local.set $acc ${fma('(local.get $v)', '(local.get $v)', '(local.get $acc)')})
      (local.set $c (i32.add (local.get $c) (i32.const 4))) (br $l3)))
    (local.set $s (call $hsum (local.get $acc)))
    (block $d4 (loop $l4 (br_if $d4 (i32.ge_u (local.get $c) (local.get $C)))
      (local.set $d (f32.sub (f32.load (i32.add (local.get $x) (i32.shl (local.get $c) (i32.const 2)))) (local.get $mean)))
      (local.set $s (f32.add (local.get $s) (f32.mul (local.get $d) (local.get $d))))
      (local.set $c (i32.add (local.get $c) (i32.const 1))) (br $l4)))
    (local.set $rstd (f32.div (f32.const 1) (f32.sqrt (f32.add (f32.div (local.get $s) (f32.convert_i32_u (local.get $C))) (local.get $eps)))))
    (local.set $vr (f32x4.splat (local.get $rstd)))
    (local.set $c (i32.const 0))
    (block $d5 (loop $l5 (br_if $d5 (i32.ge_u (local.get $c) (local.get $C4)))
      (v128.store (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2)))
        ${fma(
          '(f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $x) (i32.shl (local.get $c) (i32.const 2)))) (local.get $vm)) (local.get $vr))',
          '(v128.load (i32.add (local.get $gamma) (i32.shl (local.get $c) (i32.const 2))))',
          '(v128.load (i32.add (local.get $beta) (i32.shl (local.get $c) (i32.const 2))))')})
      (local.set $c (i32.add (local.get $c) (i32.const 4))) (br $l5)))
    (block $d6 (loop $l6 (br_if $d6 (i32.ge_u (local.get $c) (local.get $C)))
      (f32.store (i32.add (local.get $out) (i32.shl (local.get $c) (i32.const 2)))
        (f32.add (f32.mul (f32.mul (f32.sub (f32.load (i32.add (local.get $x) (i32.shl (local.get $c) (i32.const 2)))) (local.get $mean)) (local.get $rstd))
          (f32.load (i32.add (local.get $gamma) (i32.shl (local.get $c) (i32.const 2)))))
          (f32.load (i32.add (local.get $beta) (i32.shl (local.get $c) (i32.const 2))))))
      (local.set $c (i32.add (local.get $c) (i32.const 1))) (br $l6))))

  ;; Rows [r0, r1) of (rows, C): out = LayerNorm(x)·gamma + beta (out may be x).
  (func (export "layernorm") (param $x i32) (param $out i32) (param $gamma i32) (param $beta i32) (param $C i32)
      (param $eps f32) (param $r0 i32) (param $r1 i32) (local $bytes i32)
    (local.set $bytes (i32.shl (local.get $C) (i32.const 2)))
    (block $done (loop $l (br_if $done (i32.ge_u (local.get $r0) (local.get $r1)))
      (call $lnRow (i32.add (local.get $x) (i32.mul (local.get $r0) (local.get $bytes)))
        (i32.add (local.get $out) (i32.mul (local.get $r0) (local.get $bytes)))
        (local.get $gamma) (local.get $beta) (local.get $C) (local.get $eps))
      (local.set $r0 (i32.add (local.get $r0) (i32.const 1))) (br $l))))

  ;; Rows [r0, r1) of the (B·T, C) embeddings: word[ids[r]] + pos[r mod T + offset] + type[typeIds[r]], then
  ;; LayerNorm. ids and typeIds are u32, checked by the caller.
  (func (export "embedding") (param $ids i32) (param $typeIds i32) (param $word i32) (param $pos i32) (param $type i32)
      (param $gamma i32) (param $beta i32) (param $out i32) (param $T i32) (param $C i32) (param $offset i32) (param $eps f32)
      (param $r0 i32) (param $r1 i32)
      (local $bytes i32) (local $w i32) (local $p i32) (local $t i32) (local $o i32) (local $c i32) (local $C4b i32)
    (local.set $bytes (i32.shl (local.get $C) (i32.const 2)))
    ;; bytes of the whole vectors of a row
    (local.set $C4b (i32.and (local.get $bytes) (i32.const -16)))
    (block $done (loop $l (br_if $done (i32.ge_u (local.get $r0) (local.get $r1)))
      (local.set $w (i32.add (local.get $word) (i32.mul (i32.load (i32.add (local.get $ids) (i32.shl (local.get $r0) (i32.const 2)))) (local.get $bytes))))
      (local.set $p (i32.add (local.get $pos) (i32.mul (i32.add (i32.rem_u (local.get $r0) (local.get $T)) (local.get $offset)) (local.get $bytes))))
      (local.set $t (i32.add (local.get $type) (i32.mul (i32.load (i32.add (local.get $typeIds) (i32.shl (local.get $r0) (i32.const 2)))) (local.get $bytes))))
      (local.set $o (i32.add (local.get $out) (i32.mul (local.get $r0) (local.get $bytes))))
      (local.set $c (i32.const 0))
      (block $v (loop $lv (br_if $v (i32.ge_u (local.get $c) (local.get $C4b)))
        (v128.store (i32.add (local.get $o) (local.get $c))
          (f32x4.add (f32x4.add (v128.load (i32.add (local.get $w) (local.get $c))) (v128.load (i32.add (local.get $p) (local.get $c))))
            (v128.load (i32.add (local.get $t) (local.get $c)))))
        (local.set $c (i32.add (local.get $c) (i32.const 16))) (br $lv)))
      (block $s (loop $ls (br_if $s (i32.ge_u (local.get $c) (local.get $bytes)))
        (f32.store (i32.add (local.get $o) (local.get $c))
          (f32.add (f32.add (f32.load (i32.add (local.get $w) (local.get $c))) (f32.load (i32.add (local.get $p) (local.get $c))))
            (f32.load (i32.add (local.get $t) (local.get $c)))))
        (local.set $c (i32.add (local.get $c) (i32.const 4))) (br $ls)))
      (call $lnRow (local.get $o) (local.get $o) (local.get $gamma) (local.get $beta) (local.get $C) (local.get $eps))
      (local.set $r0 (i32.add (local.get $r0) (i32.const 1))) (br $l))))
`;
}
