; Counts clone() calls per tgid of the caller in the BTF-defined HASH map `hist`
; (key int32 tgid, value u64) and prints the count with bpf_trace_printk
; once it exceeds one. Has debug info, so the object carries BTF and line info.
target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
target triple = "bpf"

%maptype = type { ptr, ptr, ptr, ptr }
@hist = dso_local global %maptype zeroinitializer, section ".maps", align 8, !dbg !30
@LICENSE = dso_local global [4 x i8] c"GPL\00", section "license", align 1, !dbg !40
@fmt = private unnamed_addr constant [13 x i8] c"count: %llu\0A\00", align 1

define dso_local i64 @hello(ptr %ctx) #0 section "tracepoint/syscalls/sys_enter_clone" !dbg !50 {
entry:
  %key = alloca i32, align 4
  %val = alloca i64, align 8
  call void @llvm.dbg.value(metadata ptr %ctx, metadata !55, metadata !DIExpression()), !dbg !56
  %h = call i64 inttoptr (i64 14 to ptr)(), !dbg !56
  %tgid = lshr i64 %h, 32
  %k = trunc i64 %tgid to i32
  store i32 %k, ptr %key, align 4
  %p = call ptr inttoptr (i64 1 to ptr)(ptr @hist, ptr %key), !dbg !56
  %isnull = icmp eq ptr %p, null
  br i1 %isnull, label %absent, label %present
present:
  %v = load i64, ptr %p, align 8
  %v1 = add i64 %v, 1
  store i64 %v1, ptr %val, align 8
  %r1 = call i64 inttoptr (i64 2 to ptr)(ptr @hist, ptr %key, ptr %val, i64 0), !dbg !56
  %r2 = call i64 (ptr, i32, ...) inttoptr (i64 6 to ptr)(ptr @fmt, i32 13, i64 %v1), !dbg !56
  br label %done
absent:
  store i64 1, ptr %val, align 8
  %r3 = call i64 inttoptr (i64 2 to ptr)(ptr @hist, ptr %key, ptr %val, i64 0), !dbg !56
  br label %done
done:
  ret i64 0, !dbg !56
}

declare void @llvm.dbg.value(metadata, metadata, metadata)
attributes #0 = { nounwind }

!llvm.dbg.cu = !{!0}
!llvm.module.flags = !{!1, !2, !3}

!0 = distinct !DICompileUnit(language: DW_LANG_C99, file: !4, producer: "pythonbpf", isOptimized: true, runtimeVersion: 0, emissionKind: FullDebug, globals: !5)
!1 = !{i32 7, !"Dwarf Version", i32 5}
!2 = !{i32 2, !"Debug Info Version", i32 3}
!3 = !{i32 1, !"wchar_size", i32 4}
!4 = !DIFile(filename: "exp.py", directory: "/tmp/exp")
!5 = !{!30, !40}
!10 = !DIBasicType(name: "int", size: 32, encoding: DW_ATE_signed)
!11 = !DIBasicType(name: "unsigned long long", size: 64, encoding: DW_ATE_unsigned)
!12 = !DIBasicType(name: "char", size: 8, encoding: DW_ATE_signed_char)
!30 = !DIGlobalVariableExpression(var: !31, expr: !DIExpression())
!31 = distinct !DIGlobalVariable(name: "hist", scope: !0, file: !4, line: 1, type: !32, isLocal: false, isDefinition: true)
!32 = distinct !DICompositeType(tag: DW_TAG_structure_type, file: !4, line: 1, size: 256, elements: !33)
!33 = !{!34, !35, !36, !37}
!34 = !DIDerivedType(tag: DW_TAG_member, name: "type", scope: !32, file: !4, line: 1, baseType: !60, size: 64)
!35 = !DIDerivedType(tag: DW_TAG_member, name: "max_entries", scope: !32, file: !4, line: 1, baseType: !62, size: 64, offset: 64)
!36 = !DIDerivedType(tag: DW_TAG_member, name: "key", scope: !32, file: !4, line: 1, baseType: !64, size: 64, offset: 128)
!37 = !DIDerivedType(tag: DW_TAG_member, name: "value", scope: !32, file: !4, line: 1, baseType: !65, size: 64, offset: 192)
!60 = !DIDerivedType(tag: DW_TAG_pointer_type, baseType: !61, size: 64)
!61 = !DICompositeType(tag: DW_TAG_array_type, baseType: !10, size: 32, elements: !66)
!66 = !{!67}
!67 = !DISubrange(count: 1)
!62 = !DIDerivedType(tag: DW_TAG_pointer_type, baseType: !63, size: 64)
!63 = !DICompositeType(tag: DW_TAG_array_type, baseType: !10, size: 131072, elements: !68)
!68 = !{!69}
!69 = !DISubrange(count: 4096)
!64 = !DIDerivedType(tag: DW_TAG_pointer_type, baseType: !10, size: 64)
!65 = !DIDerivedType(tag: DW_TAG_pointer_type, baseType: !11, size: 64)
!40 = !DIGlobalVariableExpression(var: !41, expr: !DIExpression())
!41 = distinct !DIGlobalVariable(name: "LICENSE", scope: !0, file: !4, line: 1, type: !42, isLocal: false, isDefinition: true)
!42 = !DICompositeType(tag: DW_TAG_array_type, baseType: !12, size: 32, elements: !43)
!43 = !{!44}
!44 = !DISubrange(count: 4)
!50 = distinct !DISubprogram(name: "hello", scope: !4, file: !4, line: 10, type: !51, scopeLine: 10, flags: DIFlagPrototyped, spFlags: DISPFlagDefinition | DISPFlagOptimized, unit: !0, retainedNodes: !54)
!51 = !DISubroutineType(types: !52)
!52 = !{!70, !53}
!53 = !DIDerivedType(tag: DW_TAG_pointer_type, baseType: null, size: 64)
!70 = !DIBasicType(name: "long long", size: 64, encoding: DW_ATE_signed)
!54 = !{!55}
!55 = !DILocalVariable(name: "ctx", arg: 1, scope: !50, file: !4, line: 10, type: !53)
!56 = !DILocation(line: 11, column: 5, scope: !50)
