; Prints "<TOKEN> <tgid>" with bpf_trace_printk on every getppid() call.
; The test substitutes @TOKEN@ (a unique marker) and @LEN@ (format length + NUL).
target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
target triple = "bpf"

@LICENSE = dso_local global [4 x i8] c"GPL\00", section "license", align 1
@fmt = private unnamed_addr constant [@LEN@ x i8] c"@TOKEN@ %d\00", align 1

define dso_local i64 @say_pid(ptr %ctx) #0 section "tracepoint/syscalls/sys_enter_getppid" {
entry:
  %h = call i64 inttoptr (i64 14 to ptr)()
  %tgid = lshr i64 %h, 32
  %t32 = trunc i64 %tgid to i32
  %r = call i64 (ptr, i32, ...) inttoptr (i64 6 to ptr)(ptr @fmt, i32 @LEN@, i32 %t32)
  ret i64 0
}

attributes #0 = { nounwind }
