using System.Buffers.Binary;
using ContainerConsole.Runtime;
using ContainerConsole.Runtime.Interop;
using ContainerConsole.Runtime.Security;
using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Runtime.Tests.Security;

/// <summary>
/// Runs a seccomp classic-BPF program against a seccomp_data the way the kernel does, so tests
/// can check what a compiled filter decides without loading it.
/// </summary>
internal static class SeccompBpf
{
    public const uint ArchX86_64 = 0xC000003E;   // AUDIT_ARCH_X86_64
    public const uint ArchI386 = 0x40000003;     // AUDIT_ARCH_I386
    public const uint ArchAarch64 = 0xC00000B7;  // AUDIT_ARCH_AARCH64
    public const int X32SyscallBit = 0x40000000;

    public const uint RetAllow = 0x7fff0000;
    public const uint RetKillThread = 0x00000000;
    public const uint RetKillProcess = 0x80000000;
    public const uint RetTrap = 0x00030000;
    public const uint RetLog = 0x7ffc0000;
    public static uint RetErrno(uint errno) => 0x00050000 | errno;
    public static uint RetTrace(uint msg) => 0x7ff00000 | msg;

    public readonly record struct Insn(ushort Code, byte Jt, byte Jf, uint K);

    public static Insn[] Decode(byte[] program)
    {
        Assert.True(program.Length > 0 && program.Length % 8 == 0, $"program length {program.Length} is not a positive multiple of 8");
        var insns = new Insn[program.Length / 8];
        for (var i = 0; i < insns.Length; i++)
        {
            var s = program.AsSpan(i * 8, 8);
            insns[i] = new Insn(BinaryPrimitives.ReadUInt16LittleEndian(s), s[2], s[3], BinaryPrimitives.ReadUInt32LittleEndian(s[4..]));
        }
        return insns;
    }

    /// <summary>The filter's return value for syscall <paramref name="nr"/> with <paramref name="args"/>.</summary>
    public static uint Run(byte[] program, uint arch, int nr, params ulong[] args)
    {
        var data = new byte[64];   // struct seccomp_data
        BinaryPrimitives.WriteInt32LittleEndian(data, nr);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(4), arch);
        BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(8), 0x401000);
        for (var i = 0; i < args.Length; i++)
            BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(16 + 8 * i), args[i]);

        var insns = Decode(program);
        uint a = 0, x = 0;
        var mem = new uint[16];
        for (var pc = 0; pc < insns.Length; pc++)
        {
            var (code, jt, jf, k) = insns[pc];
            switch (code)
            {
                case 0x20: a = LoadWord(data, k); break;                    // ld [k]
                case 0x00: a = k; break;                                    // ld #k
                case 0x60: a = mem[k]; break;                               // ld M[k]
                case 0x01: x = k; break;                                    // ldx #k
                case 0x61: x = mem[k]; break;                               // ldx M[k]
                case 0x02: mem[k] = a; break;                               // st M[k]
                case 0x03: mem[k] = x; break;                               // stx M[k]
                case 0x04: a += k; break;
                case 0x14: a -= k; break;
                case 0x44: a |= k; break;
                case 0x54: a &= k; break;
                case 0x64: a <<= (int)k; break;
                case 0x74: a >>= (int)k; break;
                case 0x84: a = (uint)-(int)a; break;
                case 0xa4: a ^= k; break;
                case 0x5c: a &= x; break;
                case 0x4c: a |= x; break;
                case 0x05: pc += (int)k; break;                             // ja
                case 0x15: pc += a == k ? jt : jf; break;                   // jeq #k
                case 0x25: pc += a > k ? jt : jf; break;                    // jgt #k
                case 0x35: pc += a >= k ? jt : jf; break;                   // jge #k
                case 0x45: pc += (a & k) != 0 ? jt : jf; break;             // jset #k
                case 0x1d: pc += a == x ? jt : jf; break;
                case 0x2d: pc += a > x ? jt : jf; break;
                case 0x3d: pc += a >= x ? jt : jf; break;
                case 0x4d: pc += (a & x) != 0 ? jt : jf; break;
                case 0x06: return k;                                        // ret #k
                case 0x16: return a;                                        // ret a
                case 0x07: x = a; break;                                    // tax
                case 0x87: a = x; break;                                    // txa
                default:
                    throw new InvalidOperationException($"unsupported BPF opcode 0x{code:x} at {pc}");
            }
        }
        throw new InvalidOperationException("program fell off its end");
    }

    private static uint LoadWord(byte[] data, uint offset)
    {
        Assert.True(offset % 4 == 0 && offset + 4 <= data.Length, $"bad seccomp_data offset {offset}");
        return BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan((int)offset));
    }
}

public class SeccompCompilerTests
{
    private static LinuxSeccomp Profile(string defaultAction, params SeccompSyscall[] syscalls) => new()
    {
        DefaultAction = defaultAction,
        Syscalls = [.. syscalls],
    };

    private static SeccompSyscall Call(string action, params string[] names) => new() { Action = action, Names = [.. names] };

    private static readonly uint Native = LibSeccomp.ArchNative();
    private static bool IsX64 => System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.X64;

    private static int Nr(string name) => LibSeccomp.SyscallResolveName(name);

    private static SpecValidationException Invalid(LinuxSeccomp profile) =>
        Assert.Throws<SpecValidationException>(() => SeccompCompiler.Compile(profile));

    [Fact]
    public void ResolvesX86_64Numbers()
    {
        if (!IsX64)
            return;
        Assert.Equal(0, Nr("read"));
        Assert.Equal(59, Nr("execve"));
        Assert.Equal(272, Nr("unshare"));
        Assert.Equal(LibSeccomp.NrScmpError, Nr("no_such_syscall"));
    }

    [Fact]
    public void DenyListProgram()
    {
        var compiled = SeccompCompiler.Compile(Profile("SCMP_ACT_ALLOW", Call("SCMP_ACT_ERRNO", "unshare", "mount")));
        Assert.Equal(0u, compiled.Flags);
        Assert.Equal(compiled.Program.Length / 8, compiled.InstructionCount);
        var p = compiled.Program;
        Assert.Equal(SeccompBpf.RetErrno(1), SeccompBpf.Run(p, Native, Nr("unshare")));
        Assert.Equal(SeccompBpf.RetErrno(1), SeccompBpf.Run(p, Native, Nr("mount")));
        Assert.Equal(SeccompBpf.RetAllow, SeccompBpf.Run(p, Native, Nr("read")));
        // Only the native architecture is in the filter; anything else is killed.
        Assert.Equal(SeccompBpf.RetKillThread, SeccompBpf.Run(p, Native == SeccompBpf.ArchI386 ? SeccompBpf.ArchAarch64 : SeccompBpf.ArchI386, 3));
    }

    [Theory]
    [InlineData("SCMP_ACT_KILL", SeccompBpf.RetKillThread)]
    [InlineData("SCMP_ACT_KILL_THREAD", SeccompBpf.RetKillThread)]
    [InlineData("SCMP_ACT_KILL_PROCESS", SeccompBpf.RetKillProcess)]
    [InlineData("SCMP_ACT_TRAP", SeccompBpf.RetTrap)]
    [InlineData("SCMP_ACT_LOG", SeccompBpf.RetLog)]
    [InlineData("SCMP_ACT_ERRNO", 0x00050001u)]
    [InlineData("SCMP_ACT_TRACE", 0x7ff00001u)]
    public void EachActionReachesTheProgram(string action, uint expected)
    {
        var p = SeccompCompiler.Compile(Profile("SCMP_ACT_ALLOW", Call(action, "getcwd"))).Program;
        Assert.Equal(expected, SeccompBpf.Run(p, Native, Nr("getcwd")));
        Assert.Equal(SeccompBpf.RetAllow, SeccompBpf.Run(p, Native, Nr("getpid")));
    }

    [Fact]
    public void ErrnoRetAndDefaultErrnoRet()
    {
        var profile = Profile("SCMP_ACT_ERRNO", new SeccompSyscall { Action = "SCMP_ACT_ERRNO", ErrnoRet = 38, Names = ["clone3"] }, Call("SCMP_ACT_ALLOW", "read"));
        profile.DefaultErrnoRet = 13;
        var p = SeccompCompiler.Compile(profile).Program;
        Assert.Equal(SeccompBpf.RetErrno(38), SeccompBpf.Run(p, Native, Nr("clone3")));
        Assert.Equal(SeccompBpf.RetErrno(13), SeccompBpf.Run(p, Native, Nr("write")));
        Assert.Equal(SeccompBpf.RetAllow, SeccompBpf.Run(p, Native, Nr("read")));
    }

    [Fact]
    public void RulesEqualToTheDefaultAreDropped()
    {
        // libseccomp would refuse these; runc skips them silently.
        var p = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO", Call("SCMP_ACT_ERRNO", "mount"), Call("SCMP_ACT_ALLOW", "read"))).Program;
        Assert.Equal(SeccompBpf.RetErrno(1), SeccompBpf.Run(p, Native, Nr("mount")));
        Assert.Equal(SeccompBpf.RetAllow, SeccompBpf.Run(p, Native, Nr("read")));
    }

    [Fact]
    public void UnknownSyscallNamesAreSkipped()
    {
        var p = SeccompCompiler.Compile(Profile("SCMP_ACT_ERRNO", Call("SCMP_ACT_ALLOW", "read", "syscall_of_linux_9", "write"))).Program;
        Assert.Equal(SeccompBpf.RetAllow, SeccompBpf.Run(p, Native, Nr("read")));
        Assert.Equal(SeccompBpf.RetAllow, SeccompBpf.Run(p, Native, Nr("write")));
    }

    [Fact]
    public void ArgumentComparisons()
    {
        SeccompArg A(uint index, string op, ulong value, ulong valueTwo = 0) => new() { Index = index, Op = op, Value = value, ValueTwo = valueTwo };
        var profile = Profile("SCMP_ACT_ERRNO",
            new SeccompSyscall { Action = "SCMP_ACT_ALLOW", Names = ["personality"], Args = [A(0, "SCMP_CMP_EQ", 8)] },
            new SeccompSyscall { Action = "SCMP_ACT_ALLOW", Names = ["socket"], Args = [A(0, "SCMP_CMP_LT", 38), A(1, "SCMP_CMP_NE", 3)] },
            new SeccompSyscall { Action = "SCMP_ACT_ALLOW", Names = ["clone"], Args = [A(0, "SCMP_CMP_MASKED_EQ", 0x10000000, 0)] },
            new SeccompSyscall { Action = "SCMP_ACT_ALLOW", Names = ["kill"], Args = [A(1, "SCMP_CMP_GE", 10), A(1, "SCMP_CMP_LE", 2)] },
            new SeccompSyscall { Action = "SCMP_ACT_ALLOW", Names = ["setuid"], Args = [A(0, "SCMP_CMP_GT", 0xFFFFFFFF)] });
        var p = SeccompCompiler.Compile(profile).Program;
        uint Run(string name, params ulong[] args) => SeccompBpf.Run(p, Native, Nr(name), args);
        var deny = SeccompBpf.RetErrno(1);

        Assert.Equal(SeccompBpf.RetAllow, Run("personality", 8));
        Assert.Equal(deny, Run("personality", 9));

        // Conditions on different arguments are ANDed.
        Assert.Equal(SeccompBpf.RetAllow, Run("socket", 2, 1));
        Assert.Equal(deny, Run("socket", 2, 3));
        Assert.Equal(deny, Run("socket", 38, 1));

        Assert.Equal(SeccompBpf.RetAllow, Run("clone", 0x11));
        Assert.Equal(deny, Run("clone", 0x10000011));

        // Repeated argument index: each condition is its own rule (OR), as runc does.
        Assert.Equal(SeccompBpf.RetAllow, Run("kill", 1, 9 + 1));
        Assert.Equal(SeccompBpf.RetAllow, Run("kill", 1, 2));
        Assert.Equal(deny, Run("kill", 1, 5));

        // Comparisons are on the full 64 bits.
        Assert.Equal(SeccompBpf.RetAllow, Run("setuid", 0x1_0000_0000));
        Assert.Equal(deny, Run("setuid", 0xFFFFFFFF));
    }

    [Fact]
    public void ArchitecturesAreAdded()
    {
        if (!IsX64)
            return;
        var profile = Profile("SCMP_ACT_ERRNO", Call("SCMP_ACT_ALLOW", "read", "execve"));
        profile.Architectures = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"];
        var p = SeccompCompiler.Compile(profile).Program;
        Assert.Equal(SeccompBpf.RetAllow, SeccompBpf.Run(p, SeccompBpf.ArchX86_64, 59));
        Assert.Equal(SeccompBpf.RetAllow, SeccompBpf.Run(p, SeccompBpf.ArchI386, 11));                                // i386 execve
        Assert.Equal(SeccompBpf.RetErrno(1), SeccompBpf.Run(p, SeccompBpf.ArchI386, 59));                             // i386 59 is olduname
        Assert.Equal(SeccompBpf.RetAllow, SeccompBpf.Run(p, SeccompBpf.ArchX86_64, SeccompBpf.X32SyscallBit | 0));    // x32 read
        Assert.Equal(SeccompBpf.RetKillThread, SeccompBpf.Run(p, SeccompBpf.ArchAarch64, 63));
    }

    [Theory]
    [InlineData("SECCOMP_FILTER_FLAG_TSYNC", SeccompCompiler.FilterFlagTsync)]
    [InlineData("SECCOMP_FILTER_FLAG_LOG", SeccompCompiler.FilterFlagLog)]
    [InlineData("SECCOMP_FILTER_FLAG_SPEC_ALLOW", SeccompCompiler.FilterFlagSpecAllow)]
    public void FlagsAreReturned(string flag, uint value)
    {
        var profile = Profile("SCMP_ACT_ALLOW");
        profile.Flags = [flag];
        Assert.Equal(value, SeccompCompiler.Compile(profile).Flags);
    }

    [Fact]
    public void FlagsCombine()
    {
        var profile = Profile("SCMP_ACT_ALLOW");
        profile.Flags = ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"];
        Assert.Equal(6u, SeccompCompiler.Compile(profile).Flags);
    }

    [Fact]
    public void EmptyProfileStillCompiles()
    {
        var p = SeccompCompiler.Compile(Profile("SCMP_ACT_ALLOW")).Program;
        Assert.Equal(SeccompBpf.RetAllow, SeccompBpf.Run(p, Native, 0));
    }

    [Fact]
    public void ProfileFromJson()
    {
        const string json = """
            {
              "defaultAction": "SCMP_ACT_ERRNO",
              "defaultErrnoRet": 1,
              "architectures": ["SCMP_ARCH_X86_64"],
              "syscalls": [
                { "names": ["read", "write"], "action": "SCMP_ACT_ALLOW" },
                { "names": ["clone"], "action": "SCMP_ACT_ALLOW",
                  "args": [ { "index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ" } ] }
              ]
            }
            """;
        var profile = System.Text.Json.JsonSerializer.Deserialize(json, RuntimeSpecJson.Default.LinuxSeccomp)!;
        var p = SeccompCompiler.Compile(profile).Program;
        Assert.Equal(SeccompBpf.RetAllow, SeccompBpf.Run(p, Native, Nr("write")));
        Assert.Equal(SeccompBpf.RetAllow, SeccompBpf.Run(p, Native, Nr("clone"), 17));
        Assert.Equal(SeccompBpf.RetErrno(1), SeccompBpf.Run(p, Native, Nr("clone"), 0x20000000 | 17));
    }

    [Fact]
    public void UnknownDefaultAction()
    {
        Assert.Equal("linux.seccomp.defaultAction: unknown action \"SCMP_ACT_FOO\"", Invalid(Profile("SCMP_ACT_FOO")).Message);
        Assert.Equal("linux.seccomp.defaultAction: missing action", Invalid(Profile("")).Message);
    }

    [Fact]
    public void UnknownSyscallAction()
    {
        var e = Invalid(Profile("SCMP_ACT_ERRNO", Call("SCMP_ACT_ALLOW", "read"), Call("SCMP_ACT_ALLOW", "write"), Call("SCMP_ACT_ALLOW", "open"), Call("SCMP_ACT_FOO", "close")));
        Assert.Equal("linux.seccomp.syscalls[3].action: unknown action \"SCMP_ACT_FOO\"", e.Message);
    }

    [Fact]
    public void ActionNamesAreCaseSensitive()
    {
        Assert.Contains("unknown action \"scmp_act_allow\"", Invalid(Profile("scmp_act_allow")).Message);
    }

    [Fact]
    public void NotifyIsRejected()
    {
        var e = Invalid(Profile("SCMP_ACT_ALLOW", Call("SCMP_ACT_NOTIFY", "mount")));
        Assert.StartsWith("linux.seccomp.syscalls[0].action: action \"SCMP_ACT_NOTIFY\" is not supported yet", e.Message);
        Assert.StartsWith("linux.seccomp.defaultAction: action \"SCMP_ACT_NOTIFY\" is not supported yet", Invalid(Profile("SCMP_ACT_NOTIFY")).Message);
    }

    [Fact]
    public void EmptySyscallName()
    {
        var e = Invalid(Profile("SCMP_ACT_ERRNO", Call("SCMP_ACT_ALLOW", "read"), Call("SCMP_ACT_ALLOW", "write", "")));
        Assert.Equal("linux.seccomp.syscalls[1].names[1]: empty syscall name", e.Message);
    }

    [Fact]
    public void UnknownOperator()
    {
        var e = Invalid(Profile("SCMP_ACT_ERRNO", new SeccompSyscall
        {
            Action = "SCMP_ACT_ALLOW",
            Names = ["personality"],
            Args = [new SeccompArg { Index = 0, Op = "SCMP_CMP_EQ" }, new SeccompArg { Index = 1, Op = "SCMP_CMP_FOO" }],
        }));
        Assert.Equal("linux.seccomp.syscalls[0].args[1].op: unknown operator \"SCMP_CMP_FOO\"", e.Message);
    }

    [Fact]
    public void ArgumentIndexOutOfRange()
    {
        var e = Invalid(Profile("SCMP_ACT_ERRNO", new SeccompSyscall
        {
            Action = "SCMP_ACT_ALLOW",
            Names = ["personality"],
            Args = [new SeccompArg { Index = 6, Op = "SCMP_CMP_EQ" }],
        }));
        Assert.StartsWith("linux.seccomp.syscalls[0].args[0].index: 6 is out of range", e.Message);
    }

    [Fact]
    public void UnknownFlag()
    {
        var profile = Profile("SCMP_ACT_ALLOW");
        profile.Flags = ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_FOO"];
        Assert.Equal("linux.seccomp.flags[1]: unknown or unsupported flag \"SECCOMP_FILTER_FLAG_FOO\"", Invalid(profile).Message);
    }

    [Theory]
    [InlineData("SCMP_ARCH_PDP11")]
    [InlineData("x86_64")]
    [InlineData("SCMP_ARCH_")]
    public void UnknownArchitecture(string arch)
    {
        var profile = Profile("SCMP_ACT_ALLOW");
        profile.Architectures = ["SCMP_ARCH_X86_64", arch];
        Assert.Equal($"linux.seccomp.architectures[1]: unknown architecture \"{arch}\"", Invalid(profile).Message);
    }

    [Fact]
    public void ErrnoRetMustFitSixteenBits()
    {
        var e = Invalid(Profile("SCMP_ACT_ALLOW", new SeccompSyscall { Action = "SCMP_ACT_ERRNO", ErrnoRet = 70000, Names = ["mount"] }));
        Assert.StartsWith("linux.seccomp.syscalls[0].errnoRet: 70000", e.Message);
    }

    [Fact]
    public void FieldPrefixIsConfigurable()
    {
        var e = Assert.Throws<SpecValidationException>(() => SeccompCompiler.Compile(Profile("SCMP_ACT_FOO"), "seccomp-profile.json"));
        Assert.StartsWith("seccomp-profile.json.defaultAction:", e.Message);
    }

    [Fact]
    public void LibSeccompErrorsNameTheCallAndErrno()
    {
        using var ctx = LibSeccomp.Init(LibSeccomp.ActAllow);
        var e = Assert.Throws<LibSeccompException>(() => LibSeccomp.RuleAdd(ctx, LibSeccomp.ActErrno(1), Nr("read"),
            [new ScmpArgCmp { Arg = 9, Op = ScmpCompare.Equal }]));
        Assert.Equal("seccomp_rule_add_array", e.Function);
        Assert.Equal(22, e.Errno);
        Assert.Contains("seccomp_rule_add_array", e.Message);
        Assert.Contains("errno 22", e.Message);
    }

    [Fact]
    public void NativeArchitectureIsKnown()
    {
        if (IsX64)
            Assert.Equal(LibSeccomp.ArchResolveName("x86_64"), LibSeccomp.ArchNative());
        using var ctx = LibSeccomp.Init(LibSeccomp.ActAllow);
        Assert.False(LibSeccomp.ArchAdd(ctx, LibSeccomp.ArchNative()));
        Assert.True(LibSeccomp.ApiLevel() >= 3);
    }
}
