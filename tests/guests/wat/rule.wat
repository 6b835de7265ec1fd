;; The frame of a classifier written by hand: the module fields and the body
;; of `classify` come from one of this folder's attack files (the markers
;; below), the rule's id from the file's name.
(module
  (memory $main (export "memory") 1)
  ;; rule-info: five (pointer, length) pairs.
  (data (memory $main) (i32.const 1024) "\00\08\00\00@IDLEN@\00\00\00\80\08\00\00\05\00\00\00\a0\08\00\00\0e\00\00\00\c0\08\00\00\01\00\00\00\e0\08\00\00\02\00\00\00")
  (data (memory $main) (i32.const 2048) "@ID@")
  (data (memory $main) (i32.const 2176) "0.0.1")
  (data (memory $main) (i32.const 2208) "a hostile rule")
  ;; kinds: one string, "attack/never".
  (data (memory $main) (i32.const 2240) "\00\09\00\00\0c\00\00\00")
  (data (memory $main) (i32.const 2304) "attack/never")
  (data (memory $main) (i32.const 2272) "{}")
  ;; The result of classify: ok, an empty list.
  (data (memory $main) (i32.const 1280) "\00\00\00\00\08\00\00\00\00\00\00\00")
  (global $next (mut i32) (i32.const 4096))
  @FIELDS@
  ;; A bump allocator over the first memory: enough for the host to hand
  ;; over a small job.
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $at i32)
    (local.set $at
      (i32.and
        (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
        (i32.sub (i32.const 0) (local.get 2))))
    (global.set $next (i32.add (local.get $at) (local.get 3)))
    (if (i32.gt_u (global.get $next) (i32.shl (memory.size $main) (i32.const 16)))
      (then
        (if (i32.lt_s
              (memory.grow $main
                (i32.add (i32.shr_u (i32.sub (global.get $next)
                                             (i32.shl (memory.size $main) (i32.const 16)))
                                    (i32.const 16))
                         (i32.const 1)))
              (i32.const 0))
          (then unreachable))))
    (local.get $at))
  (func (export "augur:rules/rule@@CONTRACT@#info") (result i32)
    (i32.const 1024))
  (func (export "augur:rules/classifier@@CONTRACT@#classify")
    (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    @BODY@
    (i32.const 1280)))
