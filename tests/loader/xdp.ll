; Packet programs for BPF_PROG_TEST_RUN, without debug info (no maps, so no BTF needed).
;   xdp_filter: XDP_DROP (1) if byte 14 (first byte after Ethernet) is 0x01, else XDP_PASS (2);
;               XDP_ABORTED (0) if the packet is shorter than 15 bytes.
;   xdp_rewrite: swaps the Ethernet destination and source MACs, returns XDP_TX (3).
;   raw_echo: raw_tp program returning its first u64 argument plus 1.
;   tc_len: tc classifier returning skb->len.
target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
target triple = "bpf"

@LICENSE = dso_local global [4 x i8] c"GPL\00", section "license", align 1

define dso_local i32 @xdp_filter(ptr %ctx) #0 section "xdp" {
entry:
  %d32 = load i32, ptr %ctx, align 4
  %endp = getelementptr inbounds i8, ptr %ctx, i64 4
  %e32 = load i32, ptr %endp, align 4
  %d64 = zext i32 %d32 to i64
  %e64 = zext i32 %e32 to i64
  %data = inttoptr i64 %d64 to ptr
  %end = inttoptr i64 %e64 to ptr
  %need = getelementptr inbounds i8, ptr %data, i64 15
  %short = icmp ugt ptr %need, %end
  br i1 %short, label %abort, label %check
check:
  %bp = getelementptr inbounds i8, ptr %data, i64 14
  %b = load i8, ptr %bp, align 1
  %isone = icmp eq i8 %b, 1
  %r = select i1 %isone, i32 1, i32 2
  ret i32 %r
abort:
  ret i32 0
}

define dso_local i32 @xdp_rewrite(ptr %ctx) #0 section "xdp" {
entry:
  %d32 = load i32, ptr %ctx, align 4
  %endp = getelementptr inbounds i8, ptr %ctx, i64 4
  %e32 = load i32, ptr %endp, align 4
  %d64 = zext i32 %d32 to i64
  %e64 = zext i32 %e32 to i64
  %data = inttoptr i64 %d64 to ptr
  %end = inttoptr i64 %e64 to ptr
  %need = getelementptr inbounds i8, ptr %data, i64 14
  %short = icmp ugt ptr %need, %end
  br i1 %short, label %abort, label %swap
swap:
  %srcp = getelementptr inbounds i8, ptr %data, i64 6
  %dst = load i48, ptr %data, align 1
  %src = load i48, ptr %srcp, align 1
  store i48 %src, ptr %data, align 1
  store i48 %dst, ptr %srcp, align 1
  ret i32 3
abort:
  ret i32 0
}

define dso_local i32 @raw_echo(ptr %ctx) #0 section "raw_tp/sys_enter" {
entry:
  %a0 = load i64, ptr %ctx, align 8
  %a1 = add i64 %a0, 1
  %r = trunc i64 %a1 to i32
  ret i32 %r
}

define dso_local i32 @tc_len(ptr %ctx) #0 section "tc" {
entry:
  %len = load i32, ptr %ctx, align 4
  ret i32 %len
}

attributes #0 = { nounwind }
