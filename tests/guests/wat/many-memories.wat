;; Six memories besides the main one, each grown to 125 MiB (under a 256 MiB
;; `memory_mib`) and filled so the pages are real: 750 MiB if the cap were
;; per memory. With the cap on the whole instance, the third grow fails and
;; the rule traps, as a Rust rule aborts when an allocation fails.
(memory $m1 0) (memory $m2 0) (memory $m3 0) (memory $m4 0) (memory $m5 0) (memory $m6 0)
;; classify
(if (i32.lt_s (memory.grow $m1 (i32.const 2000)) (i32.const 0)) (then unreachable))
(memory.fill $m1 (i32.const 0) (i32.const 1) (i32.const 131072000))
(if (i32.lt_s (memory.grow $m2 (i32.const 2000)) (i32.const 0)) (then unreachable))
(memory.fill $m2 (i32.const 0) (i32.const 1) (i32.const 131072000))
(if (i32.lt_s (memory.grow $m3 (i32.const 2000)) (i32.const 0)) (then unreachable))
(memory.fill $m3 (i32.const 0) (i32.const 1) (i32.const 131072000))
(if (i32.lt_s (memory.grow $m4 (i32.const 2000)) (i32.const 0)) (then unreachable))
(memory.fill $m4 (i32.const 0) (i32.const 1) (i32.const 131072000))
(if (i32.lt_s (memory.grow $m5 (i32.const 2000)) (i32.const 0)) (then unreachable))
(memory.fill $m5 (i32.const 0) (i32.const 1) (i32.const 131072000))
(if (i32.lt_s (memory.grow $m6 (i32.const 2000)) (i32.const 0)) (then unreachable))
(memory.fill $m6 (i32.const 0) (i32.const 1) (i32.const 131072000))
