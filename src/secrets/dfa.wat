;; The secret scanner's byte loops, over a text in linear memory (wasm-dfa.ts): the keyword
;; pre-filter's automaton (prefilter.ts), the gates of anchored rules (regex/gate.ts), the search
;; for encoded text (decode.ts), the line index and longest line (detect.ts), and the relocation
;; of the automaton's table into memory.
;; Compiled by `npm run generate` into dfa-wasm.ts; a test checks that the two agree.
;;
;; scan:
;; Runs the keyword automaton (prefilter.ts) over the bytes in [place, end), reading its tables'
;; addresses from the control block at `ctl` (words: place, row, classes, delta, rowBytes, seen,
;; recording, outputStart, outputList, lengths, record, found, starts, patterns, limit, base, count).
;; The transition table has addresses in place of state numbers: an entry >= 0 is the address of
;; the next state's row; an entry < 0 is ~s for a state s with outputs, whose row is at
;; delta + s * rowBytes. `classes` maps a byte to its column's byte offset in a row. At a state
;; with outputs every output pattern is marked in `found`, and each recorded one (`record`) is
;; written as a hit: its start offset (the address after the byte, plus `base`, less the pattern's
;; length) to `starts` and its number to `patterns`. A state none of whose outputs is recorded is
;; handled once per scan (`seen`). The loop stops at `end`, or once `limit` hits are written (the
;; caller takes them and calls again); the place and the row are written back to the block, so
;; that a text can also be fed in chunks.
;;
;; scan2:
;; The same over two streams at once, each with its own control block (and hits), sharing the
;; tables: a DFA's next row depends on the row before, so one stream waits on each load, while two
;; independent streams overlap their loads. The caller splits a text in two (the second stream
;; starting from the state the first would reach there, see wasm-dfa.ts). The hits so far are
;; counted in each block's `count` word; the loop stops when a stream reaches its end or its limit.
(module
  (memory (export "memory") 1)
  (func (export "scan") (param $ctl i32) (param $end i32) (result i32)
    (local $p i32) (local $r i32) (local $v i32) (local $s i32)
    (local $classes i32) (local $delta i32) (local $rowBytes i32) (local $limit i32) (local $n i32)
    (local.set $p (i32.load (local.get $ctl)))
    (local.set $r (i32.load offset=4 (local.get $ctl)))
    (local.set $classes (i32.load offset=8 (local.get $ctl)))
    (local.set $delta (i32.load offset=12 (local.get $ctl)))
    (local.set $rowBytes (i32.load offset=16 (local.get $ctl)))
    (local.set $limit (i32.load offset=56 (local.get $ctl)))
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
        (local.set $n (call $output (local.get $ctl) (local.get $s) (local.get $p) (local.get $n)))
        (br_if $next (i32.lt_u (local.get $n) (local.get $limit)))))
    (i32.store (local.get $ctl) (local.get $p))
    (i32.store offset=4 (local.get $ctl) (local.get $r))
    (local.get $n))

  (func (export "scan2") (param $a i32) (param $endA i32) (param $b i32) (param $endB i32)
    (local $pA i32) (local $rA i32) (local $vA i32) (local $nA i32)
    (local $pB i32) (local $rB i32) (local $vB i32) (local $nB i32)
    (local $s i32) (local $classes i32) (local $delta i32) (local $rowBytes i32) (local $limit i32)
    (local $stop i32) (local $seen i32) (local $recording i32)
    (local.set $pA (i32.load (local.get $a)))
    (local.set $rA (i32.load offset=4 (local.get $a)))
    (local.set $nA (i32.load offset=64 (local.get $a)))
    (local.set $pB (i32.load (local.get $b)))
    (local.set $rB (i32.load offset=4 (local.get $b)))
    (local.set $nB (i32.load offset=64 (local.get $b)))
    (local.set $classes (i32.load offset=8 (local.get $a)))
    (local.set $delta (i32.load offset=12 (local.get $a)))
    (local.set $rowBytes (i32.load offset=16 (local.get $a)))
    (local.set $limit (i32.load offset=56 (local.get $a)))
    (local.set $seen (i32.load offset=20 (local.get $a)))
    (local.set $recording (i32.load offset=24 (local.get $a)))
    (block $done
      (loop $next
        ;; The fast loop runs while neither stream reaches a state with outputs: no call in it, so
        ;; the compiler keeps both streams in registers (with the call inline the loop ran at
        ;; less than half the speed). It stops where the shorter stream ends.
        (local.set $stop
          (i32.add (local.get $pA)
            (select
              (i32.sub (local.get $endA) (local.get $pA))
              (i32.sub (local.get $endB) (local.get $pB))
              (i32.lt_u (i32.sub (local.get $endA) (local.get $pA)) (i32.sub (local.get $endB) (local.get $pB))))))
        (br_if $done (i32.ge_u (local.get $pA) (local.get $stop)))
        (block $output
          (loop $fast
            (local.set $vA
              (i32.load
                (i32.add (local.get $rA)
                  (i32.load (i32.add (local.get $classes) (i32.shl (i32.load8_u (local.get $pA)) (i32.const 2)))))))
            (local.set $vB
              (i32.load
                (i32.add (local.get $rB)
                  (i32.load (i32.add (local.get $classes) (i32.shl (i32.load8_u (local.get $pB)) (i32.const 2)))))))
            (local.set $pA (i32.add (local.get $pA) (i32.const 1)))
            (local.set $pB (i32.add (local.get $pB) (i32.const 1)))
            (br_if $output (i32.lt_s (i32.or (local.get $vA) (local.get $vB)) (i32.const 0)))
            (local.set $rA (local.get $vA))
            (local.set $rB (local.get $vB))
            (br_if $fast (i32.lt_u (local.get $pA) (local.get $stop)))
            (br $next)))
        ;; A stream reached a state with outputs (both took their byte).
        (if (i32.ge_s (local.get $vA) (i32.const 0))
          (then (local.set $rA (local.get $vA)))
          (else
            (local.set $s (i32.xor (local.get $vA) (i32.const -1)))
            (local.set $rA (i32.add (local.get $delta) (i32.mul (local.get $s) (local.get $rowBytes))))
            ;; A state none of whose outputs is recorded matters once a scan ($output's first test, made here).
            (if (i32.or (i32.load8_u (i32.add (local.get $recording) (local.get $s))) (i32.eqz (i32.load8_u (i32.add (local.get $seen) (local.get $s)))))
              (then (local.set $nA (call $output (local.get $a) (local.get $s) (local.get $pA) (local.get $nA)))))))
        (if (i32.ge_s (local.get $vB) (i32.const 0))
          (then (local.set $rB (local.get $vB)))
          (else
            (local.set $s (i32.xor (local.get $vB) (i32.const -1)))
            (local.set $rB (i32.add (local.get $delta) (i32.mul (local.get $s) (local.get $rowBytes))))
            ;; A state none of whose outputs is recorded matters once a scan ($output's first test, made here).
            (if (i32.or (i32.load8_u (i32.add (local.get $recording) (local.get $s))) (i32.eqz (i32.load8_u (i32.add (local.get $seen) (local.get $s)))))
              (then (local.set $nB (call $output (local.get $b) (local.get $s) (local.get $pB) (local.get $nB)))))))
        ;; A full batch stops both streams here.
        (br_if $done (i32.or (i32.ge_u (local.get $nA) (local.get $limit)) (i32.ge_u (local.get $nB) (local.get $limit))))
        (br $next)))
    (i32.store (local.get $a) (local.get $pA))
    (i32.store offset=4 (local.get $a) (local.get $rA))
    (i32.store offset=64 (local.get $a) (local.get $nA))
    (i32.store (local.get $b) (local.get $pB))
    (i32.store offset=4 (local.get $b) (local.get $rB))
    (i32.store offset=64 (local.get $b) (local.get $nB)))

  ;; The outputs of state s reached at address p (after its byte): found flags, and hits written
  ;; from index n on; returns the new number of hits.
  (func $output (param $ctl i32) (param $s i32) (param $p i32) (param $n i32) (result i32)
    (local $j i32) (local $last i32) (local $pattern i32) (local $seen i32) (local $outputStart i32)
    (local $outputList i32) (local $lengths i32) (local $record i32) (local $found i32)
    (local $starts i32) (local $patterns i32) (local $base i32)
    (if (i32.eqz (i32.load8_u (i32.add (i32.load offset=24 (local.get $ctl)) (local.get $s))))
      (then
        (local.set $seen (i32.add (i32.load offset=20 (local.get $ctl)) (local.get $s)))
        (if (i32.load8_u (local.get $seen)) (then (return (local.get $n))))
        (i32.store8 (local.get $seen) (i32.const 1))))
    (local.set $outputStart (i32.add (i32.load offset=28 (local.get $ctl)) (i32.shl (local.get $s) (i32.const 2))))
    (local.set $j (i32.load (local.get $outputStart)))
    (local.set $last (i32.load offset=4 (local.get $outputStart)))
    (local.set $outputList (i32.load offset=32 (local.get $ctl)))
    (local.set $lengths (i32.load offset=36 (local.get $ctl)))
    (local.set $record (i32.load offset=40 (local.get $ctl)))
    (local.set $found (i32.load offset=44 (local.get $ctl)))
    (local.set $starts (i32.load offset=48 (local.get $ctl)))
    (local.set $patterns (i32.load offset=52 (local.get $ctl)))
    (local.set $base (i32.load offset=60 (local.get $ctl)))
    (block $outputsDone
      (loop $output
        (br_if $outputsDone (i32.ge_u (local.get $j) (local.get $last)))
        (local.set $pattern (i32.load (i32.add (local.get $outputList) (i32.shl (local.get $j) (i32.const 2)))))
        (i32.store8 (i32.add (local.get $found) (local.get $pattern)) (i32.const 1))
        (if (i32.load8_u (i32.add (local.get $record) (local.get $pattern)))
          (then
            (i32.store
              (i32.add (local.get $starts) (i32.shl (local.get $n) (i32.const 2)))
              (i32.sub
                (i32.add (local.get $p) (local.get $base))
                (i32.load (i32.add (local.get $lengths) (i32.shl (local.get $pattern) (i32.const 2))))))
            (i32.store (i32.add (local.get $patterns) (i32.shl (local.get $n) (i32.const 2))) (local.get $pattern))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $output)))
    (local.get $n))

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
    (local.get $o))

;; runs: the runs of 16 or more base64 characters (`[\w/+-]`) in the text [from, end), maximal
  ;; and left to right, that gitleaks' decoding could decode (decode.ts): those holding a digit or
  ;; one of `+/-_` (likelyBase64Chars; hex needs a digit too) or starting right after a `=` (where
  ;; they can make a padded base64 neighbour wait a pass). The others are identifiers, by far the
  ;; most runs in source code, that would be found only to be skipped. Each run is written to `out`
  ;; as two words, its start and end offsets from `text`; at most `limit` runs a call (the caller
  ;; calls again from the end of the last one), and the count is returned.
  ;; SIMD: 16 bytes at a time become two 16-bit masks (run characters, likely characters). A run of
  ;; 16 cannot lie inside one block without filling it, so only the run reaching a block's first
  ;; byte (carried from the blocks before: `cur` bytes, `curLikely`) and the run reaching its last
  ;; byte matter. Bytes past `end` are read (the memory goes on) but masked off.
  (func (export "runs")
    (param $text i32) (param $from i32) (param $end i32) (param $out i32) (param $limit i32)
    (result i32)
    (local $p i32) (local $v v128) (local $digit v128) (local $symbol v128) (local $letter v128)
    (local $run i32) (local $likely i32) (local $inv i32) (local $lead i32) (local $start i32)
    (local $cur i32) (local $curLikely i32) (local $n i32) (local $keep i32)
    (local.set $p (local.get $from))
    (block $finished
      (loop $block
        (br_if $finished (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v (v128.load align=1 (local.get $p)))
        (local.set $digit
          (v128.and
            (i8x16.ge_u (local.get $v) (i8x16.splat (i32.const 48)))
            (i8x16.le_u (local.get $v) (i8x16.splat (i32.const 57)))))
        (local.set $symbol
          (v128.or
            (v128.or
              (i8x16.eq (local.get $v) (i8x16.splat (i32.const 95)))
              (i8x16.eq (local.get $v) (i8x16.splat (i32.const 47))))
            (v128.or
              (i8x16.eq (local.get $v) (i8x16.splat (i32.const 43)))
              (i8x16.eq (local.get $v) (i8x16.splat (i32.const 45))))))
        ;; Letters either case: setting bit 5 folds A-Z onto a-z and sends nothing else there.
        (local.set $v (v128.or (local.get $v) (i8x16.splat (i32.const 32))))
        (local.set $letter
          (v128.and
            (i8x16.ge_u (local.get $v) (i8x16.splat (i32.const 97)))
            (i8x16.le_u (local.get $v) (i8x16.splat (i32.const 122)))))
        (local.set $likely (i8x16.bitmask (v128.or (local.get $digit) (local.get $symbol))))
        (local.set $run (i8x16.bitmask (v128.or (local.get $letter) (v128.or (local.get $digit) (local.get $symbol)))))
        (if (i32.lt_u (i32.sub (local.get $end) (local.get $p)) (i32.const 16))
          (then
            (local.set $run (i32.and (local.get $run)
              (i32.sub (i32.shl (i32.const 1) (i32.sub (local.get $end) (local.get $p))) (i32.const 1))))))
        (if (i32.eq (local.get $run) (i32.const 0xffff))
          (then
            (local.set $cur (i32.add (local.get $cur) (i32.const 16)))
            (local.set $curLikely (i32.or (local.get $curLikely) (local.get $likely)))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (br $block)))
        (local.set $inv (i32.xor (local.get $run) (i32.const 0xffff)))
        ;; The run carried in ends `lead` bytes into this block.
        (local.set $lead (i32.ctz (local.get $inv)))
        (if (i32.ge_u (i32.add (local.get $cur) (local.get $lead)) (i32.const 16))
          (then
            (local.set $start (i32.sub (local.get $p) (local.get $cur)))
            (local.set $keep
              (i32.or
                (i32.or
                  (local.get $curLikely)
                  (i32.and (local.get $likely) (i32.sub (i32.shl (i32.const 1) (local.get $lead)) (i32.const 1))))
                (i32.and
                  (i32.gt_u (local.get $start) (local.get $text))
                  (i32.eq (i32.load8_u (i32.sub (local.get $start) (i32.const 1))) (i32.const 61)))))
            (if (local.get $keep)
              (then
                (i32.store (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 3))) (i32.sub (local.get $start) (local.get $text)))
                (i32.store offset=4 (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 3)))
                  (i32.sub (i32.add (local.get $p) (local.get $lead)) (local.get $text)))
                (local.set $n (i32.add (local.get $n) (i32.const 1)))
                (br_if $finished (i32.ge_u (local.get $n) (local.get $limit)))))))
        ;; The run reaching the block's last byte is carried on.
        (local.set $cur (i32.clz (i32.shl (local.get $inv) (i32.const 16))))
        (local.set $curLikely (i32.shr_u (i32.shl (local.get $likely) (i32.const 16)) (i32.sub (i32.const 32) (local.get $cur))))
        (if (i32.eqz (local.get $cur)) (then (local.set $curLikely (i32.const 0))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $block)))
    ;; A run reaching the end of the text.
    (if (i32.and (i32.lt_u (local.get $n) (local.get $limit)) (i32.ge_u (local.get $cur) (i32.const 16)))
      (then
        (local.set $start (i32.sub (local.get $end) (local.get $cur)))
        (if (i32.or
              (local.get $curLikely)
              (i32.and
                (i32.gt_u (local.get $start) (local.get $text))
                (i32.eq (i32.load8_u (i32.sub (local.get $start) (i32.const 1))) (i32.const 61))))
          (then
            (i32.store (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 3))) (i32.sub (local.get $start) (local.get $text)))
            (i32.store offset=4 (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 3))) (i32.sub (local.get $end) (local.get $text)))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))))))
    (local.get $n))

  ;; newlines: the offsets (from `text`) of the line feeds in [from, end), ascending, written to
  ;; `out`, at most `limit` a call (the caller calls again after the last); returns how many. SIMD:
  ;; a bit mask of the line feeds of 16 bytes at a time, its set bits taken lowest first. Bytes past
  ;; `end` are read (the memory goes on) but masked off.
  (func (export "newlines")
    (param $text i32) (param $from i32) (param $end i32) (param $out i32) (param $limit i32)
    (result i32)
    (local $p i32) (local $m i32) (local $n i32)
    (local.set $p (local.get $from))
    (block $finished
      (loop $block
        (br_if $finished (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $m (i8x16.bitmask (i8x16.eq (v128.load align=1 (local.get $p)) (i8x16.splat (i32.const 10)))))
        (if (i32.lt_u (i32.sub (local.get $end) (local.get $p)) (i32.const 16))
          (then
            (local.set $m (i32.and (local.get $m)
              (i32.sub (i32.shl (i32.const 1) (i32.sub (local.get $end) (local.get $p))) (i32.const 1))))))
        (block $taken
          (loop $bit
            (br_if $taken (i32.eqz (local.get $m)))
            ;; Full: the caller resumes after the last line feed written.
            (br_if $finished (i32.ge_u (local.get $n) (local.get $limit)))
            (i32.store (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2)))
              (i32.sub (i32.add (local.get $p) (i32.ctz (local.get $m))) (local.get $text)))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))
            (local.set $m (i32.and (local.get $m) (i32.sub (local.get $m) (i32.const 1))))
            (br $bit)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $block)))
    (local.get $n))

  ;; longestLine: the length of the longest line (line feeds not counted) of the text [text, end),
  ;; without listing the line feeds (most texts only need to know whether a line is very long).
  (func (export "longestLine") (param $text i32) (param $end i32) (result i32)
    (local $p i32) (local $m i32) (local $at i32) (local $from i32) (local $longest i32)
    (local.set $p (local.get $text))
    (local.set $from (local.get $text))
    (block $finished
      (loop $block
        (br_if $finished (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $m (i8x16.bitmask (i8x16.eq (v128.load align=1 (local.get $p)) (i8x16.splat (i32.const 10)))))
        (if (i32.lt_u (i32.sub (local.get $end) (local.get $p)) (i32.const 16))
          (then
            (local.set $m (i32.and (local.get $m)
              (i32.sub (i32.shl (i32.const 1) (i32.sub (local.get $end) (local.get $p))) (i32.const 1))))))
        (block $taken
          (loop $bit
            (br_if $taken (i32.eqz (local.get $m)))
            (local.set $at (i32.add (local.get $p) (i32.ctz (local.get $m))))
            (if (i32.gt_u (i32.sub (local.get $at) (local.get $from)) (local.get $longest))
              (then (local.set $longest (i32.sub (local.get $at) (local.get $from)))))
            (local.set $from (i32.add (local.get $at) (i32.const 1)))
            (local.set $m (i32.and (local.get $m) (i32.sub (local.get $m) (i32.const 1))))
            (br $bit)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $block)))
    (if (i32.gt_u (i32.sub (local.get $end) (local.get $from)) (local.get $longest))
      (then (local.set $longest (i32.sub (local.get $end) (local.get $from)))))
    (local.get $longest))

  ;; relocate: turns the automaton's table as prefilter.ts builds it, copied to [at, at + 4 count),
  ;; into the one `scan` reads: an entry v >= 0 (the first column of the next state's row, v =
  ;; state * width) becomes that row's address, base + 4 v; a negative entry (~state, a state with
  ;; outputs) stays. Done here rather than in JavaScript because it runs once per thread, before
  ;; JavaScript's loops are compiled (a quarter of a million entries took ~20 ms there).
  (func (export "relocate") (param $at i32) (param $count i32) (param $base i32)
    (local $p i32) (local $end i32) (local $v v128) (local $w i32)
    (local.set $p (local.get $at))
    (local.set $end (i32.add (local.get $at) (i32.shl (local.get $count) (i32.const 2))))
    (block $vectors
      (loop $four
        (br_if $vectors (i32.gt_u (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
        (local.set $v (v128.load align=4 (local.get $p)))
        (v128.store align=4 (local.get $p)
          (v128.bitselect
            (i32x4.add (i32x4.splat (local.get $base)) (i32x4.shl (local.get $v) (i32.const 2)))
            (local.get $v)
            (i32x4.ge_s (local.get $v) (v128.const i32x4 0 0 0 0))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $four)))
    (block $done
      (loop $one
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $w (i32.load (local.get $p)))
        (if (i32.ge_s (local.get $w) (i32.const 0))
          (then (i32.store (local.get $p) (i32.add (local.get $base) (i32.shl (local.get $w) (i32.const 2))))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $one))))

  ;; utf16Offsets: turns the `count` byte offsets at `offsets` (into the valid UTF-8 text at
  ;; `text`, in the order the automaton found its hits: they step back by less than a pattern's
  ;; length) into UTF-16 offsets, in place. One cursor walks the bytes, counting a code unit per
  ;; byte that starts a character and one more per four-byte one; forward, 16 bytes a step (SIMD).
  (func (export "utf16Offsets") (param $text i32) (param $offsets i32) (param $count i32)
    (local $i i32) (local $target i32) (local $b i32) (local $u i32) (local $c i32) (local $v v128) (local $at i32)
    (local.set $b (local.get $text))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $at (i32.add (local.get $offsets) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $target (i32.add (local.get $text) (i32.load (local.get $at))))
        (block $forward
          (loop $sixteen
            (br_if $forward (i32.lt_s (i32.sub (local.get $target) (local.get $b)) (i32.const 16)))
            (local.set $v (v128.load align=1 (local.get $b)))
            (local.set $u
              (i32.add (local.get $u)
                (i32.add
                  (i32.popcnt (i8x16.bitmask (i8x16.ne (v128.and (local.get $v) (i8x16.splat (i32.const 0xc0))) (i8x16.splat (i32.const 0x80)))))
                  (i32.popcnt (i8x16.bitmask (i8x16.ge_u (local.get $v) (i8x16.splat (i32.const 0xf0))))))))
            (local.set $b (i32.add (local.get $b) (i32.const 16)))
            (br $sixteen)))
        (block $reached
          (loop $one
            (br_if $reached (i32.ge_u (local.get $b) (local.get $target)))
            (local.set $c (i32.load8_u (local.get $b)))
            (local.set $u (i32.add (local.get $u)
              (i32.add (i32.ne (i32.and (local.get $c) (i32.const 0xc0)) (i32.const 0x80)) (i32.ge_u (local.get $c) (i32.const 0xf0)))))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br $one)))
        (block $back
          (loop $one
            (br_if $back (i32.le_u (local.get $b) (local.get $target)))
            (local.set $b (i32.sub (local.get $b) (i32.const 1)))
            (local.set $c (i32.load8_u (local.get $b)))
            (local.set $u (i32.sub (local.get $u)
              (i32.add (i32.ne (i32.and (local.get $c) (i32.const 0xc0)) (i32.const 0x80)) (i32.ge_u (local.get $c) (i32.const 0xf0)))))
            (br $one)))
        (i32.store (local.get $at) (local.get $u))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))))
