// WAT for out = epilogue(x·wᵀ + b) (+ residual) over weights packed at load into panels of 8 output columns:
// panel p holds w[p·8 + j][k] at ((p·K + k)·8 + j), zero-padded past N (pack.ts). The micro-kernel keeps a 4 × 8 tile
// in 8 vector accumulators (11 live v128 with the two weight vectors and the broadcast: fits the 16 SIMD registers
// of x86-64 and ARM's 32), reading each packed weight vector once per 4 rows. Rows past the last multiple of 4 take a
// 1 × 8 kernel. Panels [p0, p1) only, so threads split the columns.
import { fmaOp } from './math.ts';

/** Output columns per packed panel (two f32x4). */
export const PANEL = 8;

export function gemmWat(relaxed: boolean): string {
  const fma = fmaOp(relaxed);
  const rows = ['a', 'b', 'c', 'd'];
  const accs = rows.flatMap((r) => [`$${r}0`, `$${r}1`]);
  // One k step of the 4 × 8 tile at byte offset `o` from the row pointers and 32·(o/4) from the panel pointer.
  const tileStep = (o: number) => `
          (local.set $w0 (v128.load offset=${o * 8} (local.get $wk)))
          (local.set $w1 (v128.load offset=${o * 8 + 16} (local.get $wk)))` + rows.map((r, i) => `
          (local.set $s (v128.load32_splat offset=${o} (local.get $x${r})))
          (local.set ${accs[2 * i]} ${fma('(local.get $s)', '(local.get $w0)', `(local.get ${accs[2 * i]})`)})
          (local.set ${accs[2 * i + 1]} ${fma('(local.get $s)', '(local.get $w1)', `(local.get ${accs[2 * i + 1]})`)})`).join('');
  const advance = (steps: number) => `
          ${rows.map((r) => `(local.set $x${r} (i32.add (local.get $x${r}) (i32.const ${4 * steps})))`).join(' ')}
          (local.set $wk (i32.add (local.get $wk) (i32.const ${32 * steps})))
          (local.set $k (i32.sub (local.get $k) (i32.const ${steps})))`;
  const tileStore = rows.map((r, i) => `
        (call $store8 (i32.add (local.get $o) (i32.mul (local.get $ostride) (i32.const ${i})))
          (select (i32.add (local.get $res) (i32.mul (local.get $ostride) (i32.const ${i}))) (i32.const 0) (local.get $res))
          (local.get ${accs[2 * i]}) (local.get ${accs[2 * i + 1]}) (local.get $bias0) (local.get $bias1) (local.get $ncols) (local.get $epi) (local.get $scratch))`).join('');
  return `
  ;; One output row's 8 columns of a panel: + bias, epilogue, + residual (res ≠ 0), then stored; a partial panel
  ;; (ncols < 8) goes through 32 bytes of scratch so nothing past column N is written.
  (func $store8 (param $o i32) (param $res i32) (param $v0 v128) (param $v1 v128) (param $b0 v128) (param $b1 v128)
      (param $ncols i32) (param $epi i32) (param $scratch i32) (local $j i32)
    (local.set $v0 (call $act4 (f32x4.add (local.get $v0) (local.get $b0)) (local.get $epi)))
    (local.set $v1 (call $act4 (f32x4.add (local.get $v1) (local.get $b1)) (local.get $epi)))
    (if (i32.eq (local.get $ncols) (i32.const 8)) (then
      (if (local.get $res) (then
        (local.set $v0 (f32x4.add (local.get $v0) (v128.load (local.get $res))))
        (local.set $v1 (f32x4.add (local.get $v1) (v128.load offset=16 (local.get $res))))))
      (v128.store (local.get $o) (local.get $v0))
      (v128.store offset=16 (local.get $o) (local.get $v1))
      (return)))
    (v128.store (local.get $scratch) (local.get $v0))
    (v128.store offset=16 (local.get $scratch) (local.get $v1))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $j) (local.get $ncols)))
      (f32.store (local.get $o) (f32.add (f32.load (local.get $scratch))
        (if (result f32) (local.get $res) (then (f32.load (local.get $res))) (else (f32.const 0)))))
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (local.set $scratch (i32.add (local.get $scratch) (i32.const 4)))
      (if (local.get $res) (then (local.set $res (i32.add (local.get $res) (i32.const 4)))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $l))))

  ;; x: M rows of K floats, row m at x + m·xstride bytes; wp: packed panels; bias: N padded to whole panels;
  ;; res: (M, N) or 0; out: (M, N). Scratch: 32 bytes.
  (func (export "gemm") (param $x i32) (param $xstride i32) (param $wp i32) (param $bias i32) (param $res i32)
      (param $out i32) (param $M i32) (param $N i32) (param $K i32) (param $epi i32) (param $p0 i32) (param $p1 i32)
      (param $scratch i32)
      (local $p i32) (local $m i32) (local $k i32) (local $wk i32) (local $o i32) (local $r i32) (local $ostride i32)
      (local $ncols i32) (local $mb i32) (local $m0 i32) (local $mEnd i32) (local $bias0 v128) (local $bias1 v128) (local $w0 v128) (local $w1 v128) (local $s v128)
      (local $xa i32) (local $xb i32) (local $xc i32) (local $xd i32)
      ${accs.map((a) => `(local ${a} v128)`).join(' ')}
    (local.set $ostride (i32.shl (local.get $N) (i32.const 2)))
    ;; Row blocks of about 256 KiB of x (a multiple of 4 rows), each through every panel: the block stays in L2 while
    ;; the panels stream by, instead of all of x streaming once per panel.
    (local.set $mb (i32.and (i32.div_u (i32.const 262144) (i32.shl (local.get $K) (i32.const 2))) (i32.const -4)))
    (if (i32.lt_u (local.get $mb) (i32.const 4)) (then (local.set $mb (i32.const 4))))
    (local.set $m0 (i32.const 0))
    (block $blocks (loop $block
    (br_if $blocks (i32.ge_u (local.get $m0) (local.get $M)))
    (local.set $mEnd (i32.add (local.get $m0) (local.get $mb)))
    (if (i32.gt_u (local.get $mEnd) (local.get $M)) (then (local.set $mEnd (local.get $M))))
    (local.set $p (local.get $p0))
    (block $panels (loop $panel
      (br_if $panels (i32.ge_u (local.get $p) (local.get $p1)))
      (local.set $ncols (i32.sub (local.get $N) (i32.shl (local.get $p) (i32.const 3))))
      (if (i32.gt_u (local.get $ncols) (i32.const 8)) (then (local.set $ncols (i32.const 8))))
      (local.set $bias0 (v128.load (i32.add (local.get $bias) (i32.shl (local.get $p) (i32.const 5)))))
      (local.set $bias1 (v128.load offset=16 (i32.add (local.get $bias) (i32.shl (local.get $p) (i32.const 5)))))
      (local.set $m (local.get $m0))
      ;; 4 rows at a time
      (block $tiles (loop $tile
        (br_if $tiles (i32.gt_u (i32.add (local.get $m) (i32.const 4)) (local.get $mEnd)))
        (local.set $xa (i32.add (local.get $x) (i32.mul (local.get $m) (local.get $xstride))))
        (local.set $xb (i32.add (local.get $xa) (local.get $xstride)))
        (local.set $xc (i32.add (local.get $xb) (local.get $xstride)))
        (local.set $xd (i32.add (local.get $xc) (local.get $xstride)))
        ${accs.map((a) => `(local.set ${a} (v128.const i32x4 0 0 0 0))`).join(' ')}
        (local.set $wk (i32.add (local.get $wp) (i32.mul (i32.mul (local.get $p) (local.get $K)) (i32.const 32))))
        (local.set $k (local.get $K))
        ;; k four steps at a time (one pointer update per four), then the last K mod 4
        (block $kdone (loop $kl
          (br_if $kdone (i32.lt_u (local.get $k) (i32.const 4)))${tileStep(0)}${tileStep(4)}${tileStep(8)}${tileStep(12)}${advance(4)}
          (br $kl)))
        (block $kdone2 (loop $kl2
          (br_if $kdone2 (i32.eqz (local.get $k)))${tileStep(0)}${advance(1)}
          (br $kl2)))
        (local.set $r (i32.add (i32.mul (local.get $m) (local.get $N)) (i32.shl (local.get $p) (i32.const 3))))
        (local.set $o (i32.add (local.get $out) (i32.shl (local.get $r) (i32.const 2))))
        (local.set $r (select (i32.add (local.get $res) (i32.shl (local.get $r) (i32.const 2))) (i32.const 0) (local.get $res)))
        (call $tileStore (local.get $o) (local.get $r) (local.get $ostride) (local.get $bias0) (local.get $bias1)
          (local.get $ncols) (local.get $epi) (local.get $scratch)
          ${accs.map((a) => `(local.get ${a})`).join(' ')})
        (local.set $m (i32.add (local.get $m) (i32.const 4)))
        (br $tile)))
      ;; the last M mod 4 rows, one at a time
      (block $rows (loop $row
        (br_if $rows (i32.ge_u (local.get $m) (local.get $mEnd)))
        (local.set $xa (i32.add (local.get $x) (i32.mul (local.get $m) (local.get $xstride))))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $wk (i32.add (local.get $wp) (i32.mul (i32.mul (local.get $p) (local.get $K)) (i32.const 32))))
        (local.set $k (local.get $K))
        (block $kdone1 (loop $kl1
          (br_if $kdone1 (i32.eqz (local.get $k)))
          (local.set $s (v128.load32_splat (local.get $xa)))
          (local.set $a0 ${fma('(local.get $s)', '(v128.load (local.get $wk))', '(local.get $a0)')})
          (local.set $a1 ${fma('(local.get $s)', '(v128.load offset=16 (local.get $wk))', '(local.get $a1)')})
          (local.set $xa (i32.add (local.get $xa) (i32.const 4)))
          (local.set $wk (i32.add (local.get $wk) (i32.const 32)))
          (local.set $k (i32.sub (local.get $k) (i32.const 1)))
          (br $kl1)))
        (local.set $r (i32.add (i32.mul (local.get $m) (local.get $N)) (i32.shl (local.get $p) (i32.const 3))))
        (call $store8 (i32.add (local.get $out) (i32.shl (local.get $r) (i32.const 2)))
          (select (i32.add (local.get $res) (i32.shl (local.get $r) (i32.const 2))) (i32.const 0) (local.get $res))
          (local.get $a0) (local.get $a1) (local.get $bias0) (local.get $bias1) (local.get $ncols) (local.get $epi) (local.get $scratch))
        (local.set $m (i32.add (local.get $m) (i32.const 1)))
        (br $row)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $panel)))
    (local.set $m0 (local.get $mEnd))
    (br $block))))

  ;; The 4 × 8 tile's four rows through store8 (a function of its own keeps gemm's locals few).
  (func $tileStore (param $o i32) (param $res i32) (param $ostride i32) (param $bias0 v128) (param $bias1 v128)
      (param $ncols i32) (param $epi i32) (param $scratch i32)
      ${accs.map((a) => `(param ${a} v128)`).join(' ')}${tileStore}
  )
`;
}
