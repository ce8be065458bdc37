using System.Buffers.Binary;
using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Runtime.Cgroups;

/// <summary>One eBPF instruction (struct bpf_insn): 8 bytes, little-endian on the architectures we run on.</summary>
public readonly record struct BpfInstruction(byte Code, byte Dst, byte Src, short Offset, int Imm)
{
    public const int Size = 8;

    public void WriteTo(Span<byte> dest)
    {
        dest[0] = Code;
        dest[1] = (byte)((Src << 4) | (Dst & 0x0f));
        BinaryPrimitives.WriteInt16LittleEndian(dest[2..], Offset);
        BinaryPrimitives.WriteInt32LittleEndian(dest[4..], Imm);
    }

    public static BpfInstruction ReadFrom(ReadOnlySpan<byte> src) =>
        new(src[0], (byte)(src[1] & 0x0f), (byte)(src[1] >> 4),
            BinaryPrimitives.ReadInt16LittleEndian(src[2..]), BinaryPrimitives.ReadInt32LittleEndian(src[4..]));
}

/// <summary>
/// Compiles OCI device rules into a BPF_PROG_TYPE_CGROUP_DEVICE program, the cgroup v2 replacement
/// of the v1 devices controller. Pure function; <see cref="BpfDeviceFilterLoader"/> installs it.
/// </summary>
/// <remarks>
/// Semantics (same outcome as replaying the rules on a v1 devices cgroup that starts from deny-all):
/// rules are considered last to first; each requested access bit (m/r/w) is decided by the last rule
/// that matches the device and names that bit. A matching deny rule naming any still-undecided
/// requested bit denies; allow rules clear the bits they name and the access is allowed once none are
/// left. Whatever is left undecided at the end is denied. Type "a" matches block and char devices;
/// a null (or -1) major/minor is a wildcard.
///
/// Register use: r2 = device type, r3 = undecided access bits, r4 = major, r5 = minor, r1 scratch
/// (the context pointer is not needed after the three loads).
/// </remarks>
public static class DeviceFilterProgram
{
    // bpf_cgroup_dev_ctx.access_type = (access << 16) | type; see include/uapi/linux/bpf.h.
    public const int DevBlock = 1, DevChar = 2;
    public const int AccMknod = 1, AccRead = 2, AccWrite = 4;

    // Opcodes: class | op | source.
    internal const byte LdxMemW = 0x61;   // BPF_LDX | BPF_MEM | BPF_W
    internal const byte Mov64Reg = 0xbf;  // BPF_ALU64 | BPF_MOV | BPF_X
    internal const byte Mov64Imm = 0xb7;  // BPF_ALU64 | BPF_MOV | BPF_K
    internal const byte And64Imm = 0x57;  // BPF_ALU64 | BPF_AND | BPF_K
    internal const byte Rsh64Imm = 0x77;  // BPF_ALU64 | BPF_RSH | BPF_K
    internal const byte JeqImm = 0x15;    // BPF_JMP | BPF_JEQ | BPF_K
    internal const byte JneImm = 0x55;    // BPF_JMP | BPF_JNE | BPF_K
    internal const byte Exit = 0x95;      // BPF_JMP | BPF_EXIT

    /// <summary>The license string passed to BPF_PROG_LOAD (no GPL-only helpers are used).</summary>
    public const string License = "Apache";

    public static IReadOnlyList<BpfInstruction> Generate(IReadOnlyList<DeviceCgroupRule> rules)
    {
        var prog = new List<BpfInstruction>
        {
            new(LdxMemW, 2, 1, 0, 0),   // r2 = ctx->access_type
            new(LdxMemW, 4, 1, 4, 0),   // r4 = ctx->major
            new(LdxMemW, 5, 1, 8, 0),   // r5 = ctx->minor
            new(Mov64Reg, 3, 2, 0, 0),  // r3 = r2
            new(Rsh64Imm, 3, 0, 0, 16), // r3 >>= 16  (requested access bits)
            new(And64Imm, 2, 0, 0, 0xffff), // r2 &= 0xffff (device type)
        };

        for (var i = rules.Count - 1; i >= 0; i--)
        {
            var r = rules[i];
            var type = CgroupCommon.NormalizeDeviceType(r.Type, i);
            var major = CgroupCommon.CheckDeviceNumber(r.Major, "major", i);
            var minor = CgroupCommon.CheckDeviceNumber(r.Minor, "minor", i);
            var access = AccessBits(CgroupCommon.NormalizeAccess(r.Access, i));

            var checks = new List<(byte Reg, int Value)>(3);
            if (type != 'a')
                checks.Add((2, type == 'c' ? DevChar : DevBlock));
            if (major is { } ma)
                checks.Add((4, (int)ma));
            if (minor is { } mi)
                checks.Add((5, (int)mi));

            BpfInstruction[] action = r.Allow
                ?
                [
                    new(And64Imm, 3, 0, 0, ~access), // r3 &= ~access: these bits are allowed
                    new(JneImm, 3, 0, 2, 0),         // bits left → keep looking
                    new(Mov64Imm, 0, 0, 0, 1),
                    new(Exit, 0, 0, 0, 0),
                ]
                :
                [
                    new(Mov64Reg, 1, 3, 0, 0),       // r1 = r3
                    new(And64Imm, 1, 0, 0, access),  // r1 &= access: undecided bits this rule denies
                    new(JeqImm, 1, 0, 2, 0),         // none → keep looking
                    new(Mov64Imm, 0, 0, 0, 0),
                    new(Exit, 0, 0, 0, 0),
                ];

            // Each failed match jumps past the rest of this rule's block (offsets count from the next insn).
            for (var c = 0; c < checks.Count; c++)
            {
                var skip = checks.Count - c - 1 + action.Length;
                prog.Add(new(JneImm, checks[c].Reg, 0, (short)skip, checks[c].Value));
            }
            prog.AddRange(action);
        }

        prog.Add(new(Mov64Imm, 0, 0, 0, 0)); // nothing allowed everything requested → deny
        prog.Add(new(Exit, 0, 0, 0, 0));
        return prog;
    }

    public static byte[] Encode(IReadOnlyList<BpfInstruction> program)
    {
        var bytes = new byte[program.Count * BpfInstruction.Size];
        for (var i = 0; i < program.Count; i++)
            program[i].WriteTo(bytes.AsSpan(i * BpfInstruction.Size));
        return bytes;
    }

    public static int AccessBits(string access)
    {
        var bits = 0;
        foreach (var c in access)
        {
            bits |= c switch
            {
                'm' => AccMknod,
                'r' => AccRead,
                'w' => AccWrite,
                _ => throw new ArgumentException($"invalid device access '{c}'", nameof(access)),
            };
        }
        return bits;
    }
}
