;; One table grown by 1.5 million elements and filled: more than the default
;; `table_elements` (1 million), and more than one table of the instance
;; pool's slots holds. Under the default limits the grow fails and the rule
;; traps; with `table_elements` raised above it, the rule runs outside the
;; pool and the grow succeeds: raised limits are the limits.
(table $t 0 funcref)
(func $f)
(elem declare func $f)
;; classify
(if (i32.lt_s (table.grow $t (ref.null func) (i32.const 1500000)) (i32.const 0)) (then unreachable))
(table.fill $t (i32.const 0) (ref.func $f) (i32.const 1500000))
