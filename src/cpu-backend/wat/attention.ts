// WAT for multi-head attention over the packed (B·T, 3C) QKV projection, one (batch, head) pair at a time over
// [bh0, bh1) (threads split the pairs). Per pair, K is transposed into scratch as (HS, T4) (T4 = T rounded up to 4),
// so a query's scores come 4 keys per vector op; masked keys (and the padding to T4) get −inf through a per-batch
// bias row, so exp gives exactly 0 and a query whose keys are all masked gets zeros (as the reference). Then
// out_i = Σ_j p_ij·v_j, 4 head features per vector op. Optionally the probabilities (B, NH, T, T) (probs ≠ 0).
import { fmaOp } from './math.ts';

/** Scratch bytes attention needs for a sequence length T and head size HS. */
export function attentionScratchBytes(T: number, HS: number): number {
  const T4 = Math.ceil(T / 4) * 4;
  return (HS * T4 + 2 * T4) * 4;
}

export function attentionWat(relaxed: boolean): string {
  const fma = fmaOp(relaxed);
  const at = (base: string, idx: string) => `(i32.add (local.get ${base}) (i32.shl ${idx} (i32.const 2)))`;
  const zero = (n: number) => Array.from({ length: n }, (_, i) => `(local.set $a${i} (v128.const i32x4 0 0 0 0))`).join(' ');
  // Scores of 4 keys from their dot products: scaled, mask bias added, stored, running max updated.
  const finishScores = (acc: string, j: string) => `(local.set ${acc} ${fma(`(local.get ${acc})`, '(f32x4.splat (local.get $scale))', `(v128.load ${at('$mb', j)})`)})
          (v128.store ${at('$s', j)} (local.get ${acc}))
          (local.set $mx (f32x4.max (local.get $mx) (local.get ${acc})))`;
  // A pass over every key for `width` head features from d on (width / 4 accumulators), while they last.
  const pvPass = (width: number, n: number) => `(block $pv${width}d (loop $pv${width}l (br_if $pv${width}d (i32.gt_u (i32.add (local.get $d) (i32.const ${width})) (local.get $HS)))
          ${zero(n)}
          (local.set $sp (local.get $s))
          (local.set $v ${at('$vb', '(local.get $d)')})
          (local.set $j (local.get $T))
          (block $pj${width}d (loop $pj${width}l (br_if $pj${width}d (i32.eqz (local.get $j)))
            (local.set $qs (v128.load32_splat (local.get $sp)))
            ${Array.from({ length: n }, (_, i) => `(local.set $a${i} ${fma('(local.get $qs)', `(v128.load offset=${16 * i} (local.get $v))`, `(local.get $a${i})`)})`).join('\n            ')}
            (local.set $sp (i32.add (local.get $sp) (i32.const 4)))
            (local.set $v (i32.add (local.get $v) (local.get $rs)))
            (local.set $j (i32.sub (local.get $j) (i32.const 1))) (br $pj${width}l)))
          ${Array.from({ length: n }, (_, i) => `(v128.store offset=${16 * i} ${at('$o', '(local.get $d)')} (f32x4.mul (local.get $a${i}) (local.get $pv)))`).join('\n          ')}
          (local.set $d (i32.add (local.get $d) (i32.const ${width}))) (br $pv${width}l)))`;
  return `
  (func $hmax (param $v v128) (result f32)
    (f32.max (f32.max (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.max (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  (func (export "attention") (param $qkv i32) (param $mask i32) (param $out i32) (param $probs i32) (param $T i32)
      (param $NH i32) (param $HS i32) (param $bh0 i32) (param $bh1 i32) (param $scratch i32)
      (local $T4 i32) (local $C i32) (local $rs i32) (local $kt i32) (local $s i32) (local $mb i32) (local $b i32)
      (local $h i32) (local $base i32) (local $i i32) (local $j i32) (local $d i32) (local $q i32) (local $o i32)
      (local $v i32) (local $HS4 i32) (local $scale f32) (local $acc v128) (local $mx v128) (local $sum v128)
      (local $m f32) (local $inv f32) (local $pj f32) (local $pv v128) (local $lastB i32)
      (local $kp i32) (local $qp i32) (local $qs v128) (local $T4b i32) (local $vb i32) (local $sp i32)
      (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $T4 (i32.and (i32.add (local.get $T) (i32.const 3)) (i32.const -4)))
    (local.set $T4b (i32.shl (local.get $T4) (i32.const 2)))
    (local.set $C (i32.mul (local.get $NH) (local.get $HS)))
    (local.set $rs (i32.mul (local.get $C) (i32.const 12)))
    (local.set $HS4 (i32.and (local.get $HS) (i32.const -4)))
    (local.set $scale (f32.div (f32.const 1) (f32.sqrt (f32.convert_i32_u (local.get $HS)))))
    (local.set $kt (local.get $scratch))
    (local.set $s ${at('$kt', '(i32.mul (local.get $HS) (local.get $T4))')})
    (local.set $mb ${at('$s', '(local.get $T4)')})
    (local.set $lastB (i32.const -1))
    (block $pairs (loop $pair (br_if $pairs (i32.ge_u (local.get $bh0) (local.get $bh1)))
      (local.set $b (i32.div_u (local.get $bh0) (local.get $NH)))
      (local.set $h (i32.rem_u (local.get $bh0) (local.get $NH)))
      (local.set $base (i32.add (local.get $qkv) (i32.mul (i32.mul (local.get $b) (local.get $T)) (local.get $rs))))
      ;; the mask bias row, once per batch row: 0 for a valid key, −inf for a masked one and for the padding
      (if (i32.ne (local.get $b) (local.get $lastB)) (then
        (local.set $lastB (local.get $b))
        (local.set $j (i32.const 0))
        (block $mbd (loop $mbl (br_if $mbd (i32.ge_u (local.get $j) (local.get $T4)))
          (f32.store ${at('$mb', '(local.get $j)')}
            (select (f32.const 0) (f32.const -inf)
              (if (result i32) (i32.lt_u (local.get $j) (local.get $T))
                (then (i32.load ${at('$mask', '(i32.add (i32.mul (local.get $b) (local.get $T)) (local.get $j))')}))
                (else (i32.const 0)))))
          (local.set $j (i32.add (local.get $j) (i32.const 1))) (br $mbl)))))
      ;; K of this head, transposed: kt[d][j] = k_j[d] (0 past T)
      (local.set $j (i32.const 0))
      (block $ktd (loop $ktl (br_if $ktd (i32.ge_u (local.get $j) (local.get $T4)))
        (local.set $d (i32.const 0))
        (block $kd (loop $kl (br_if $kd (i32.ge_u (local.get $d) (local.get $HS)))
          (f32.store ${at('$kt', '(i32.add (i32.mul (local.get $d) (local.get $T4)) (local.get $j))')}
            (if (result f32) (i32.lt_u (local.get $j) (local.get $T))
              (then (f32.load (i32.add (i32.add (local.get $base) (i32.mul (local.get $j) (local.get $rs)))
                (i32.shl (i32.add (i32.add (local.get $C) (i32.mul (local.get $h) (local.get $HS))) (local.get $d)) (i32.const 2)))))
              (else (f32.const 0))))
          (local.set $d (i32.add (local.get $d) (i32.const 1))) (br $kl)))
        (local.set $j (i32.add (local.get $j) (i32.const 1))) (br $ktl)))
      (local.set $i (i32.const 0))
      (block $queries (loop $query (br_if $queries (i32.ge_u (local.get $i) (local.get $T)))
        (local.set $q (i32.add (i32.add (local.get $base) (i32.mul (local.get $i) (local.get $rs))) (i32.shl (i32.mul (local.get $h) (local.get $HS)) (i32.const 2))))
        ;; scores s[j] = (q·k_j)·scale + maskBias[j]: 16 keys per pass over q (four accumulators), then 4
        (local.set $mx (f32x4.splat (f32.const -inf)))
        (local.set $j (i32.const 0))
        (block $s16d (loop $s16l (br_if $s16d (i32.gt_u (i32.add (local.get $j) (i32.const 16)) (local.get $T4)))
          ${zero(4)}
          (local.set $kp ${at('$kt', '(local.get $j)')})
          (local.set $qp (local.get $q))
          (local.set $d (local.get $HS))
          (block $dd (loop $dl (br_if $dd (i32.eqz (local.get $d)))
            (local.set $qs (v128.load32_splat (local.get $qp)))
            ${[0, 1, 2, 3].map((i) => `(local.set $a${i} ${fma('(local.get $qs)', `(v128.load offset=${16 * i} (local.get $kp))`, `(local.get $a${i})`)})`).join('\n            ')}
            (local.set $qp (i32.add (local.get $qp) (i32.const 4)))
            (local.set $kp (i32.add (local.get $kp) (local.get $T4b)))
            (local.set $d (i32.sub (local.get $d) (i32.const 1))) (br $dl)))
          ${[0, 1, 2, 3].map((i) => finishScores(`$a${i}`, `(i32.add (local.get $j) (i32.const ${4 * i}))`)).join('\n          ')}
          (local.set $j (i32.add (local.get $j) (i32.const 16))) (br $s16l)))
        (block $s4d (loop $s4l (br_if $s4d (i32.ge_u (local.get $j) (local.get $T4)))
          ${zero(1)}
          (local.set $kp ${at('$kt', '(local.get $j)')})
          (local.set $qp (local.get $q))
          (local.set $d (local.get $HS))
          (block $d4d (loop $d4l (br_if $d4d (i32.eqz (local.get $d)))
            (local.set $a0 ${fma('(v128.load32_splat (local.get $qp))', '(v128.load (local.get $kp))', '(local.get $a0)')})
            (local.set $qp (i32.add (local.get $qp) (i32.const 4)))
            (local.set $kp (i32.add (local.get $kp) (local.get $T4b)))
            (local.set $d (i32.sub (local.get $d) (i32.const 1))) (br $d4l)))
          ${finishScores('$a0', '(local.get $j)')}
          (local.set $j (i32.add (local.get $j) (i32.const 4))) (br $s4l)))
        (local.set $o (i32.add (local.get $out) (i32.shl (i32.add (i32.mul (i32.add (i32.mul (local.get $b) (local.get $T)) (local.get $i)) (local.get $C))
          (i32.mul (local.get $h) (local.get $HS))) (i32.const 2))))
        (local.set $m (call $hmax (local.get $mx)))
        ;; softmax numerators (in place) and their sum; a row with every key masked: zeros
        (local.set $sum (v128.const i32x4 0 0 0 0))
        (local.set $mx (f32x4.splat (select (local.get $m) (f32.const 0) (f32.gt (local.get $m) (f32.const -inf)))))
        (local.set $j (i32.const 0))
        (block $ed (loop $el (br_if $ed (i32.ge_u (local.get $j) (local.get $T4)))
          (local.set $acc (call $exp4 (f32x4.sub (v128.load ${at('$s', '(local.get $j)')}) (local.get $mx))))
          (v128.store ${at('$s', '(local.get $j)')} (local.get $acc))
          (local.set $sum (f32x4.add (local.get $sum) (local.get $acc)))
          (local.set $j (i32.add (local.get $j) (i32.const 4))) (br $el)))
        (local.set $m (call $hsum (local.get $sum)))
        (local.set $inv (select (f32.div (f32.const 1) (local.get $m)) (f32.const 0) (f32.gt (local.get $m) (f32.const 0))))
        ;; out = (Σ_j p_j·v_j)/sum, 16 head features per pass over the keys (four accumulators), then 4, then 1
        (local.set $vb (i32.add (local.get $base) (i32.shl (i32.add (i32.shl (local.get $C) (i32.const 1)) (i32.mul (local.get $h) (local.get $HS))) (i32.const 2))))
        (local.set $pv (f32x4.splat (local.get $inv)))
        (local.set $d (i32.const 0))
        ${pvPass(16, 4)}
        ${pvPass(4, 1)}
        (block $vsd (loop $vsl (br_if $vsd (i32.ge_u (local.get $d) (local.get $HS)))
          (local.set $pj (f32.const 0))
          (local.set $sp (local.get $s))
          (local.set $v ${at('$vb', '(local.get $d)')})
          (local.set $j (local.get $T))
          (block $vjd (loop $vjl (br_if $vjd (i32.eqz (local.get $j)))
            (local.set $pj (f32.add (local.get $pj) (f32.mul (f32.load (local.get $sp)) (f32.load (local.get $v)))))
            (local.set $sp (i32.add (local.get $sp) (i32.const 4)))
            (local.set $v (i32.add (local.get $v) (local.get $rs)))
            (local.set $j (i32.sub (local.get $j) (i32.const 1))) (br $vjl)))
          (f32.store ${at('$o', '(local.get $d)')} (f32.mul (local.get $pj) (local.get $inv)))
          (local.set $d (i32.add (local.get $d) (i32.const 1))) (br $vsl)))
        ;; the probabilities, for attentionProbs
        (if (local.get $probs) (then
          (local.set $v (i32.add (local.get $probs) (i32.shl (i32.mul (i32.add (i32.mul (local.get $bh0) (local.get $T)) (local.get $i)) (local.get $T)) (i32.const 2))))
          (local.set $j (i32.const 0))
          (block $prd (loop $prl (br_if $prd (i32.ge_u (local.get $j) (local.get $T)))
            (f32.store ${at('$v', '(local.get $j)')} (f32.mul (f32.load ${at('$s', '(local.get $j)')}) (local.get $inv)))
            (local.set $j (i32.add (local.get $j) (i32.const 1))) (br $prl)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $query)))
      (local.set $bh0 (i32.add (local.get $bh0) (i32.const 1))) (br $pair))))
`;
}
