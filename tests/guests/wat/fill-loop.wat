;; Fills 64 MiB of memory, again and again, forever: one instruction per
;; fill. Fuel must be charged by the byte, or this runs until the deadline.
(memory $big 1024)
;; classify
(loop $again
  (memory.fill $big (i32.const 0) (i32.const 7) (i32.const 67108864))
  (br $again))
