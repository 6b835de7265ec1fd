;; Forty memories of one page each: small, but every memory reserves
;; address space in the host. More than `max_memories` and the instance is
;; never created.
(memory $c0 1) (memory $c1 1) (memory $c2 1) (memory $c3 1) (memory $c4 1) (memory $c5 1) (memory $c6 1) (memory $c7 1) (memory $c8 1) (memory $c9 1) (memory $c10 1) (memory $c11 1) (memory $c12 1) (memory $c13 1) (memory $c14 1) (memory $c15 1) (memory $c16 1) (memory $c17 1) (memory $c18 1) (memory $c19 1) (memory $c20 1) (memory $c21 1) (memory $c22 1) (memory $c23 1) (memory $c24 1) (memory $c25 1) (memory $c26 1) (memory $c27 1) (memory $c28 1) (memory $c29 1) (memory $c30 1) (memory $c31 1) (memory $c32 1) (memory $c33 1) (memory $c34 1) (memory $c35 1) (memory $c36 1) (memory $c37 1) (memory $c38 1) (memory $c39 1)
;; classify
