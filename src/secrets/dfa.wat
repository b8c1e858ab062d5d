;; The secret scanner's byte loops, over a text in linear memory (wasm-dfa.ts): the keyword
;; pre-filter's automaton (prefilter.ts) and the gates of anchored rules (regex/gate.ts).
;; Compiled by `npm run generate` into dfa-wasm.ts; a test checks that the two agree.
;;
;; scan:
;; The transition table is the automaton's (prefilter.ts) with addresses in place of state
;; numbers: an entry >= 0 is the address of the next state's row; an entry < 0 is ~s for a state
;; s with outputs, whose row is at delta + s * rowBytes. `classes` maps a byte to its column's
;; byte offset in a row. For each state with outputs that is reached, the loop writes the pair
;; (address after the byte, s) to `out`, except that a state with no recorded output is written
;; once per scan (`seen`). It stops at `end` or when `out` is full. The place and the state are
;; read from and written back to the two words at `cursor`, so that a text can be fed in chunks
;; and the caller reads them as memory (cheaper from JavaScript than exported globals).
(module
  (memory (export "memory") 1)
  (func (export "scan")
    (param $cursor i32) (param $end i32) (param $classes i32) (param $delta i32) (param $rowBytes i32)
    (param $seen i32) (param $recording i32) (param $out i32) (param $outEnd i32)
    (result i32)
    (local $p i32) (local $r i32) (local $v i32) (local $s i32) (local $o i32)
    (local.set $p (i32.load (local.get $cursor)))
    (local.set $r (i32.load offset=4 (local.get $cursor)))
    (local.set $o (local.get $out))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v
          (i32.load
            (i32.add (local.get $r)
              (i32.load (i32.add (local.get $classes) (i32.shl (i32.load8_u (local.get $p)) (i32.const 2)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (if (i32.ge_s (local.get $v) (i32.const 0))
          (then (local.set $r (local.get $v)) (br $next)))
        (local.set $s (i32.xor (local.get $v) (i32.const -1)))
        (local.set $r (i32.add (local.get $delta) (i32.mul (local.get $s) (local.get $rowBytes))))
        (if (i32.eqz (i32.load8_u (i32.add (local.get $recording) (local.get $s))))
          (then
            (br_if $next (i32.load8_u (i32.add (local.get $seen) (local.get $s))))
            (i32.store8 (i32.add (local.get $seen) (local.get $s)) (i32.const 1))))
        (i32.store (local.get $o) (local.get $p))
        (i32.store offset=4 (local.get $o) (local.get $s))
        (local.set $o (i32.add (local.get $o) (i32.const 8)))
        (br_if $next (i32.lt_u (local.get $o) (local.get $outEnd)))))
    (i32.store (local.get $cursor) (local.get $p))
    (i32.store offset=4 (local.get $cursor) (local.get $r))
    (i32.shr_u (i32.sub (local.get $o) (local.get $out)) (i32.const 3)))

  ;; gate: keeps the places (offsets into the text at `text`, `count` of them at `places`) where a
  ;; gate's DFA does not die, in order, at the start of the same array, and returns how many.
  ;; The DFA is in bytes, so that it stays in the L1 cache: `ascii` maps a byte below 0x80 to its
  ;; column; a row of `width` entries per state holds the next state's number, 254 for pass or 255
  ;; for dead. The end of the text and any byte above 0x7f pass.
  (func (export "gate")
    (param $text i32) (param $end i32) (param $places i32) (param $count i32) (param $ascii i32) (param $table i32) (param $width i32)
    (result i32)
    (local $i i32) (local $o i32) (local $q i32) (local $p i32) (local $r i32) (local $c i32) (local $v i32)
    (block $finished
      (loop $each
        (br_if $finished (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $q (i32.load (i32.add (local.get $places) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $p (i32.add (local.get $text) (local.get $q)))
        (local.set $r (local.get $table))
        (block $keep
          (block $drop
            (loop $step
              (br_if $keep (i32.ge_u (local.get $p) (local.get $end)))
              (local.set $c (i32.load8_u (local.get $p)))
              (br_if $keep (i32.ge_u (local.get $c) (i32.const 128)))
              (local.set $v (i32.load8_u (i32.add (local.get $r) (i32.load8_u (i32.add (local.get $ascii) (local.get $c))))))
              (local.set $p (i32.add (local.get $p) (i32.const 1)))
              (if (i32.lt_u (local.get $v) (i32.const 254))
                (then
                  (local.set $r (i32.add (local.get $table) (i32.mul (local.get $v) (local.get $width))))
                  (br $step)))
              (br_if $keep (i32.eq (local.get $v) (i32.const 254)))
              (br $drop)))
          (br $each))
        (i32.store (i32.add (local.get $places) (i32.shl (local.get $o) (i32.const 2))) (local.get $q))
        (local.set $o (i32.add (local.get $o) (i32.const 1)))
        (br $each)))
    (local.get $o)))
