; BTF coverage fixture (opened, never loaded): a .bss global `cfg` of a struct with
; bitfields, an array, an enum, a pointer and a typedef, plus a signed char global.
target datalayout = "e-m:e-p:64:64-i64:64-i128:128-n32:64-S128"
target triple = "bpf"

%cfg_t = type { i8, i16, i64, [4 x i32], i32, ptr }
@cfg = dso_local global %cfg_t zeroinitializer, section ".bss", align 8, !dbg !20
@level = dso_local global i8 -3, section ".data", align 1, !dbg !22

define dso_local i32 @noop(ptr %ctx) #0 section "xdp" {
entry:
  ret i32 2
}

attributes #0 = { nounwind }

!llvm.dbg.cu = !{!0}
!llvm.module.flags = !{!1, !2, !3}

!0 = distinct !DICompileUnit(language: DW_LANG_C99, file: !4, producer: "pythonbpf", isOptimized: true, runtimeVersion: 0, emissionKind: FullDebug, globals: !5)
!1 = !{i32 7, !"Dwarf Version", i32 5}
!2 = !{i32 2, !"Debug Info Version", i32 3}
!3 = !{i32 1, !"wchar_size", i32 4}
!4 = !DIFile(filename: "types.py", directory: "/tmp/exp")
!5 = !{!20, !22}
!10 = !DIBasicType(name: "unsigned char", size: 8, encoding: DW_ATE_unsigned_char)
!11 = !DIBasicType(name: "unsigned short", size: 16, encoding: DW_ATE_unsigned)
!12 = !DIBasicType(name: "long long", size: 64, encoding: DW_ATE_signed)
!13 = !DIBasicType(name: "unsigned int", size: 32, encoding: DW_ATE_unsigned)
!14 = !DIBasicType(name: "signed char", size: 8, encoding: DW_ATE_signed_char)
!15 = !DIDerivedType(tag: DW_TAG_typedef, name: "u16", file: !4, line: 1, baseType: !11)
!16 = !DICompositeType(tag: DW_TAG_array_type, baseType: !13, size: 128, elements: !17)
!17 = !{!18}
!18 = !DISubrange(count: 4)
!19 = !DIDerivedType(tag: DW_TAG_pointer_type, baseType: !30, size: 64)
!20 = !DIGlobalVariableExpression(var: !21, expr: !DIExpression())
!21 = distinct !DIGlobalVariable(name: "cfg", scope: !0, file: !4, line: 2, type: !30, isLocal: false, isDefinition: true)
!22 = !DIGlobalVariableExpression(var: !23, expr: !DIExpression())
!23 = distinct !DIGlobalVariable(name: "level", scope: !0, file: !4, line: 3, type: !14, isLocal: false, isDefinition: true)
!30 = distinct !DICompositeType(tag: DW_TAG_structure_type, name: "cfg_t", file: !4, line: 1, size: 384, elements: !31)
!31 = !{!32, !33, !34, !35, !36, !37, !38}
!32 = !DIDerivedType(tag: DW_TAG_member, name: "flags", scope: !30, file: !4, line: 1, baseType: !10, size: 3, flags: DIFlagBitField, extraData: i64 0)
!33 = !DIDerivedType(tag: DW_TAG_member, name: "mode", scope: !30, file: !4, line: 1, baseType: !10, size: 5, offset: 3, flags: DIFlagBitField, extraData: i64 0)
!34 = !DIDerivedType(tag: DW_TAG_member, name: "port", scope: !30, file: !4, line: 1, baseType: !15, size: 16, offset: 16)
!35 = !DIDerivedType(tag: DW_TAG_member, name: "deadline", scope: !30, file: !4, line: 1, baseType: !12, size: 64, offset: 64)
!36 = !DIDerivedType(tag: DW_TAG_member, name: "slots", scope: !30, file: !4, line: 1, baseType: !16, size: 128, offset: 128)
!37 = !DIDerivedType(tag: DW_TAG_member, name: "color", scope: !30, file: !4, line: 1, baseType: !40, size: 32, offset: 256)
!38 = !DIDerivedType(tag: DW_TAG_member, name: "next", scope: !30, file: !4, line: 1, baseType: !19, size: 64, offset: 320)
!40 = !DICompositeType(tag: DW_TAG_enumeration_type, name: "color", file: !4, line: 1, baseType: !13, size: 32, elements: !41)
!41 = !{!42, !43}
!42 = !DIEnumerator(name: "RED", value: 0, isUnsigned: true)
!43 = !DIEnumerator(name: "BLUE", value: 7, isUnsigned: true)
