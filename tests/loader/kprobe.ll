; A kprobe program on a kernel function that does not exist: it loads (the
; kprobe program type exists even without CONFIG_KPROBES) but cannot attach.
target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
target triple = "bpf"

@LICENSE = dso_local global [4 x i8] c"GPL\00", section "license", align 1

define dso_local i64 @probe_missing(ptr %ctx) #0 section "kprobe/pythonbpf_no_such_kernel_function" {
entry:
  ret i64 0
}

attributes #0 = { nounwind }
