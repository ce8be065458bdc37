using System.Buffers.Binary;
using ContainerConsole.Runtime.Cgroups;

namespace ContainerConsole.Runtime.Tests.Cgroups;

/// <summary>
/// Runs a BPF_PROG_TYPE_CGROUP_DEVICE program from its encoded bytes against one device access.
/// Knows only the opcodes the generator may emit and checks what the kernel verifier would refuse
/// (unknown opcodes, reading an unset register, out-of-range or backward jumps, loads outside the context).
/// </summary>
internal static class BpfInterpreter
{
    private const ulong CtxPointer = 0xC0FFEE000;

    public static int Run(byte[] code, int type, int access, uint major, uint minor)
    {
        if (code.Length % BpfInstruction.Size != 0)
            throw new InvalidOperationException("program length is not a multiple of 8");
        var count = code.Length / BpfInstruction.Size;
        var ctx = new byte[12];
        BinaryPrimitives.WriteUInt32LittleEndian(ctx, (uint)((access << 16) | type));
        BinaryPrimitives.WriteUInt32LittleEndian(ctx.AsSpan(4), major);
        BinaryPrimitives.WriteUInt32LittleEndian(ctx.AsSpan(8), minor);

        var r = new ulong[11];
        var set = new bool[11];
        r[1] = CtxPointer;
        set[1] = true;
        var pc = 0;
        for (var steps = 0; steps < 100_000; steps++)
        {
            if (pc < 0 || pc >= count)
                throw new InvalidOperationException($"pc {pc} out of range");
            var insn = BpfInstruction.ReadFrom(code.AsSpan(pc * BpfInstruction.Size));
            ulong Src() => set[insn.Src] ? r[insn.Src] : throw new InvalidOperationException($"insn {pc}: r{insn.Src} read before set");
            ulong Dst() => set[insn.Dst] ? r[insn.Dst] : throw new InvalidOperationException($"insn {pc}: r{insn.Dst} read before set");
            void SetDst(ulong v) { r[insn.Dst] = v; set[insn.Dst] = true; }
            var imm = (ulong)(long)insn.Imm; // immediates are sign-extended to 64 bits
            var next = pc + 1;
            int Jump() => insn.Offset < 0 || next + insn.Offset >= count
                ? throw new InvalidOperationException($"insn {pc}: bad jump offset {insn.Offset}")
                : next + insn.Offset;

            switch (insn.Code)
            {
                case 0x61: // ldxw dst, [src + off]
                {
                    var addr = Src();
                    if (addr != CtxPointer || insn.Offset is < 0 or > 8 || insn.Offset % 4 != 0)
                        throw new InvalidOperationException($"insn {pc}: invalid context access");
                    SetDst(BinaryPrimitives.ReadUInt32LittleEndian(ctx.AsSpan(insn.Offset)));
                    break;
                }
                case 0xbf: SetDst(Src()); break;
                case 0xb7: SetDst(imm); break;
                case 0x57: SetDst(Dst() & imm); break;
                case 0x77: SetDst(Dst() >> insn.Imm); break;
                case 0x15: if (Dst() == imm) next = Jump(); else Jump(); break;
                case 0x55: if (Dst() != imm) next = Jump(); else Jump(); break;
                case 0x05: next = Jump(); break;
                case 0x95:
                    if (!set[0])
                        throw new InvalidOperationException($"insn {pc}: exit with r0 unset");
                    return (int)r[0];
                default:
                    throw new InvalidOperationException($"insn {pc}: unknown opcode 0x{insn.Code:x2}");
            }
            pc = next;
        }
        throw new InvalidOperationException("program did not terminate");
    }
}
