using ContainerConsole.Runtime.Interop;
using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Runtime.Security;

/// <summary>
/// A compiled seccomp filter: the classic-BPF program (struct sock_filter[], 8 bytes per
/// instruction) and the SECCOMP_FILTER_FLAG_* bits to pass to seccomp(SECCOMP_SET_MODE_FILTER).
/// </summary>
public sealed record CompiledSeccomp(byte[] Program, uint Flags)
{
    /// <summary>Number of BPF instructions (sock_fprog.len).</summary>
    public int InstructionCount => Program.Length / 8;
}

/// <summary>
/// Turns an OCI <see cref="LinuxSeccomp"/> profile into a BPF program with libseccomp, following
/// runc's interpretation of the profile.
/// </summary>
public static class SeccompCompiler
{
    public const uint FilterFlagTsync = 1;       // SECCOMP_FILTER_FLAG_TSYNC
    public const uint FilterFlagLog = 2;         // SECCOMP_FILTER_FLAG_LOG
    public const uint FilterFlagSpecAllow = 4;   // SECCOMP_FILTER_FLAG_SPEC_ALLOW

    private const uint Eperm = 1;
    private const int MaxSyscallArgs = 6;

    // Above this many rules libseccomp's binary-tree layout beats a linear scan (runc uses the same
    // threshold; libseccomp <= 2.5.4 also mis-generates the tree for an empty rule set).
    private const int BinaryTreeThreshold = 32;

    /// <summary>
    /// Compiles <paramref name="profile"/>. Invalid input is a <see cref="SpecValidationException"/>
    /// naming the field under <paramref name="field"/>; syscall names libseccomp does not know are
    /// skipped, because profiles list syscalls of kernels newer than the library.
    /// </summary>
    public static CompiledSeccomp Compile(LinuxSeccomp profile, string field = "linux.seccomp")
    {
        ArgumentNullException.ThrowIfNull(profile);

        var defaultAction = ParseAction(profile.DefaultAction, profile.DefaultErrnoRet, $"{field}.defaultAction", $"{field}.defaultErrnoRet");
        var archs = ParseArchitectures(profile.Architectures, $"{field}.architectures");
        var flags = ParseFlags(profile.Flags, $"{field}.flags");
        var rules = ParseRules(profile.Syscalls, defaultAction, $"{field}.syscalls");

        using var ctx = LibSeccomp.Init(defaultAction);
        // The runtime sets no_new_privs itself, and only when process.noNewPrivileges asks for it.
        LibSeccomp.AttrSet(ctx, ScmpFilterAttr.CtlNoNewPrivs, 0);

        foreach (var arch in archs)
            LibSeccomp.ArchAdd(ctx, arch);

        var added = 0;
        foreach (var rule in rules)
        {
            try
            {
                LibSeccomp.RuleAdd(ctx, rule.Action, rule.Syscall, rule.Conditions);
            }
            catch (LibSeccompException e)
            {
                throw new SpecValidationException($"{rule.Field}: cannot add rule for syscall \"{rule.Name}\": {e.Message}");
            }
            added++;
        }

        if (added > BinaryTreeThreshold)
        {
            try
            {
                LibSeccomp.AttrSet(ctx, ScmpFilterAttr.CtlOptimize, 2);
            }
            catch (LibSeccompException)
            {
                // Older libseccomp without the attribute: the linear program is just slower.
            }
        }

        return new CompiledSeccomp(LibSeccomp.ExportBpf(ctx), flags);
    }

    /// <summary>SCMP_ACT_* name to the libseccomp action value, as runc maps them.</summary>
    internal static uint ParseAction(string? action, uint? errnoRet, string field, string errnoField)
    {
        switch (action)
        {
            case "SCMP_ACT_KILL":
            case "SCMP_ACT_KILL_THREAD":
                return LibSeccomp.ActKillThread;
            case "SCMP_ACT_KILL_PROCESS":
                return LibSeccomp.ActKillProcess;
            case "SCMP_ACT_TRAP":
                return LibSeccomp.ActTrap;
            case "SCMP_ACT_ALLOW":
                return LibSeccomp.ActAllow;
            case "SCMP_ACT_LOG":
                return LibSeccomp.ActLog;
            case "SCMP_ACT_ERRNO":
                return LibSeccomp.ActErrno(CheckRetData(errnoRet ?? Eperm, errnoField));
            case "SCMP_ACT_TRACE":
                return LibSeccomp.ActTrace(CheckRetData(errnoRet ?? Eperm, errnoField));
            case "SCMP_ACT_NOTIFY":
                throw new SpecValidationException($"{field}: action \"SCMP_ACT_NOTIFY\" is not supported yet (no seccomp agent support)");
            case null or "":
                throw new SpecValidationException($"{field}: missing action");
            default:
                throw new SpecValidationException($"{field}: unknown action \"{action}\"");
        }
    }

    // SECCOMP_RET_DATA is 16 bits; a larger value would be silently truncated to another errno.
    private static uint CheckRetData(uint value, string field) =>
        value <= 0xffff ? value : throw new SpecValidationException($"{field}: {value} does not fit in 16 bits");

    private static List<uint> ParseArchitectures(List<string>? names, string field)
    {
        var archs = new List<uint>();
        if (names is null)
            return archs;
        for (var i = 0; i < names.Count; i++)
        {
            var name = names[i] ?? "";
            // runc fails on any architecture it or libseccomp cannot resolve, so do we.
            uint token = 0;
            if (name.StartsWith("SCMP_ARCH_", StringComparison.Ordinal) && name.Length > "SCMP_ARCH_".Length)
                token = LibSeccomp.ArchResolveName(name["SCMP_ARCH_".Length..].ToLowerInvariant());
            if (token == 0)
                throw new SpecValidationException($"{field}[{i}]: unknown architecture \"{name}\"");
            archs.Add(token);
        }
        return archs;
    }

    private static uint ParseFlags(List<string>? names, string field)
    {
        uint flags = 0;
        if (names is null)
            return flags;
        for (var i = 0; i < names.Count; i++)
        {
            flags |= names[i] switch
            {
                "SECCOMP_FILTER_FLAG_TSYNC" => FilterFlagTsync,
                "SECCOMP_FILTER_FLAG_LOG" => FilterFlagLog,
                "SECCOMP_FILTER_FLAG_SPEC_ALLOW" => FilterFlagSpecAllow,
                _ => throw new SpecValidationException($"{field}[{i}]: unknown or unsupported flag \"{names[i]}\""),
            };
        }
        return flags;
    }

    private sealed record Rule(string Field, string Name, uint Action, int Syscall, ScmpArgCmp[] Conditions);

    private static List<Rule> ParseRules(List<SeccompSyscall>? syscalls, uint defaultAction, string field)
    {
        var rules = new List<Rule>();
        if (syscalls is null)
            return rules;
        for (var i = 0; i < syscalls.Count; i++)
        {
            var call = syscalls[i];
            var callField = $"{field}[{i}]";
            if (call is null)
                throw new SpecValidationException($"{callField}: null syscall entry");

            var action = ParseAction(call.Action, call.ErrnoRet, $"{callField}.action", $"{callField}.errnoRet");
            var conditionSets = ParseArgs(call.Args, $"{callField}.args");

            var names = call.Names ?? [];
            for (var j = 0; j < names.Count; j++)
            {
                var name = names[j];
                if (string.IsNullOrWhiteSpace(name))
                    throw new SpecValidationException($"{callField}.names[{j}]: empty syscall name");
            }

            // libseccomp refuses rules whose action equals the default; they are no-ops anyway.
            if (action == defaultAction)
                continue;

            foreach (var name in names)
            {
                var nr = LibSeccomp.SyscallResolveName(name);
                // Unknown to libseccomp on every architecture: a syscall of a newer kernel.
                if (nr == LibSeccomp.NrScmpError)
                    continue;
                foreach (var conditions in conditionSets)
                    rules.Add(new Rule(callField, name, action, nr, conditions));
            }
        }
        return rules;
    }

    /// <summary>
    /// The condition sets to add as separate rules. Conditions on distinct arguments form one rule
    /// (AND). If an argument index repeats, runc adds every condition as its own rule (OR), because
    /// libseccomp cannot AND two comparisons of the same argument.
    /// </summary>
    private static List<ScmpArgCmp[]> ParseArgs(List<SeccompArg>? args, string field)
    {
        if (args is null || args.Count == 0)
            return [[]];

        var conditions = new ScmpArgCmp[args.Count];
        var seen = new bool[MaxSyscallArgs];
        var repeated = false;
        for (var k = 0; k < args.Count; k++)
        {
            var arg = args[k] ?? throw new SpecValidationException($"{field}[{k}]: null argument condition");
            if (arg.Index >= MaxSyscallArgs)
                throw new SpecValidationException($"{field}[{k}].index: {arg.Index} is out of range (syscalls have arguments 0-5)");
            var op = arg.Op switch
            {
                "SCMP_CMP_NE" => ScmpCompare.NotEqual,
                "SCMP_CMP_LT" => ScmpCompare.LessThan,
                "SCMP_CMP_LE" => ScmpCompare.LessOrEqual,
                "SCMP_CMP_EQ" => ScmpCompare.Equal,
                "SCMP_CMP_GE" => ScmpCompare.GreaterOrEqual,
                "SCMP_CMP_GT" => ScmpCompare.GreaterThan,
                "SCMP_CMP_MASKED_EQ" => ScmpCompare.MaskedEqual,
                _ => throw new SpecValidationException($"{field}[{k}].op: unknown operator \"{arg.Op}\""),
            };
            repeated |= seen[arg.Index];
            seen[arg.Index] = true;
            // For MASKED_EQ the spec's value is the mask and valueTwo the expected result, which is
            // libseccomp's datum_a/datum_b order too.
            conditions[k] = new ScmpArgCmp { Arg = arg.Index, Op = op, DatumA = arg.Value, DatumB = arg.ValueTwo };
        }

        if (!repeated)
            return [conditions];
        return conditions.Select(c => new[] { c }).ToList();
    }
}
