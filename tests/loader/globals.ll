; Global data as the compiler emits it: LIMIT = Const(u64, 10) in .rodata (const volatile),
; counter = Global(i32, 5) in .data, total = Global(u64, 0) in .bss, with DWARF so the
; object's BTF has DATASECs whose VARs carry the Python names.
;   bump (xdp): counter += 1; total += counter; returns LIMIT.
;   peek (xdp): returns counter (nothing changes).
target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
target triple = "bpf"

@LIMIT = dso_local constant i64 10, section ".rodata", align 8, !dbg !20
@counter = dso_local global i32 5, section ".data", align 4, !dbg !23
@total = dso_local global i64 0, section ".bss", align 8, !dbg !25
@LICENSE = dso_local global [4 x i8] c"GPL\00", section "license", align 1, !dbg !40

define dso_local i32 @bump(ptr %ctx) #0 section "xdp" !dbg !50 {
entry:
  call void @llvm.dbg.value(metadata ptr %ctx, metadata !55, metadata !DIExpression()), !dbg !56
  %c = load volatile i32, ptr @counter, align 4, !dbg !56
  %c1 = add i32 %c, 1, !dbg !56
  store volatile i32 %c1, ptr @counter, align 4, !dbg !56
  %cx = sext i32 %c1 to i64, !dbg !56
  %t = load volatile i64, ptr @total, align 8, !dbg !56
  %t1 = add i64 %t, %cx, !dbg !56
  store volatile i64 %t1, ptr @total, align 8, !dbg !56
  %lim = load volatile i64, ptr @LIMIT, align 8, !dbg !56
  %r = trunc i64 %lim to i32, !dbg !56
  ret i32 %r, !dbg !56
}

define dso_local i32 @peek(ptr %ctx) #0 section "xdp" !dbg !60 {
entry:
  call void @llvm.dbg.value(metadata ptr %ctx, metadata !62, metadata !DIExpression()), !dbg !63
  %c = load volatile i32, ptr @counter, align 4, !dbg !63
  ret i32 %c, !dbg !63
}

declare void @llvm.dbg.value(metadata, metadata, metadata)
attributes #0 = { nounwind }

!llvm.dbg.cu = !{!0}
!llvm.module.flags = !{!1, !2, !3}

!0 = distinct !DICompileUnit(language: DW_LANG_C99, file: !4, producer: "pythonbpf", isOptimized: true, runtimeVersion: 0, emissionKind: FullDebug, globals: !5)
!1 = !{i32 7, !"Dwarf Version", i32 5}
!2 = !{i32 2, !"Debug Info Version", i32 3}
!3 = !{i32 1, !"wchar_size", i32 4}
!4 = !DIFile(filename: "globals.py", directory: "/tmp/exp")
!5 = !{!20, !23, !25, !40}
!10 = !DIBasicType(name: "int", size: 32, encoding: DW_ATE_signed)
!11 = !DIBasicType(name: "unsigned long long", size: 64, encoding: DW_ATE_unsigned)
!12 = !DIBasicType(name: "char", size: 8, encoding: DW_ATE_signed_char)
!13 = !DIDerivedType(tag: DW_TAG_volatile_type, baseType: !11)
!14 = !DIDerivedType(tag: DW_TAG_const_type, baseType: !13)
!20 = !DIGlobalVariableExpression(var: !21, expr: !DIExpression())
!21 = distinct !DIGlobalVariable(name: "LIMIT", scope: !0, file: !4, line: 3, type: !14, isLocal: false, isDefinition: true)
!23 = !DIGlobalVariableExpression(var: !24, expr: !DIExpression())
!24 = distinct !DIGlobalVariable(name: "counter", scope: !0, file: !4, line: 4, type: !10, isLocal: false, isDefinition: true)
!25 = !DIGlobalVariableExpression(var: !26, expr: !DIExpression())
!26 = distinct !DIGlobalVariable(name: "total", scope: !0, file: !4, line: 5, type: !11, isLocal: false, isDefinition: true)
!40 = !DIGlobalVariableExpression(var: !41, expr: !DIExpression())
!41 = distinct !DIGlobalVariable(name: "LICENSE", scope: !0, file: !4, line: 1, type: !42, isLocal: false, isDefinition: true)
!42 = !DICompositeType(tag: DW_TAG_array_type, baseType: !12, size: 32, elements: !43)
!43 = !{!44}
!44 = !DISubrange(count: 4)
!50 = distinct !DISubprogram(name: "bump", scope: !4, file: !4, line: 10, type: !51, scopeLine: 10, flags: DIFlagPrototyped, spFlags: DISPFlagDefinition | DISPFlagOptimized, unit: !0, retainedNodes: !54)
!51 = !DISubroutineType(types: !52)
!52 = !{!10, !53}
!53 = !DIDerivedType(tag: DW_TAG_pointer_type, baseType: null, size: 64)
!54 = !{!55}
!55 = !DILocalVariable(name: "ctx", arg: 1, scope: !50, file: !4, line: 10, type: !53)
!56 = !DILocation(line: 11, column: 5, scope: !50)
!60 = distinct !DISubprogram(name: "peek", scope: !4, file: !4, line: 20, type: !51, scopeLine: 20, flags: DIFlagPrototyped, spFlags: DISPFlagDefinition | DISPFlagOptimized, unit: !0, retainedNodes: !61)
!61 = !{!62}
!62 = !DILocalVariable(name: "ctx", arg: 1, scope: !60, file: !4, line: 20, type: !53)
!63 = !DILocation(line: 21, column: 5, scope: !60)
