namespace ContainerConsole.Images.Build;

/// <summary>
/// One Dockerfile instruction after parsing. Words that Docker substitutes variables in are kept raw (quotes and
/// escapes included) and expanded by the builder with the environment in effect at that step.
/// </summary>
public abstract record Instruction
{
    public int Line { get; init; }

    /// <summary>The instruction as written (continuations joined), as Docker prints it in "Step N/M : ...".</summary>
    public string Text { get; init; } = "";
}

/// <summary>A command in exec form (Exec) or shell form (Shell, run with the stage's SHELL).</summary>
public sealed record CommandForm(IReadOnlyList<string>? Exec, string? Shell)
{
    public IReadOnlyList<string> Resolve(IReadOnlyList<string> shell) => Exec ?? [.. shell, Shell!];
}

public sealed record FromInstruction(string Image, string? StageName, string? Platform) : Instruction;

public sealed record RunInstruction(CommandForm Command) : Instruction;

public sealed record CopyInstruction(bool IsAdd, IReadOnlyList<string> Sources, string Destination, string? Chown, string? From, string? Chmod) : Instruction;

public sealed record KeyValue(string Key, string Value);

public sealed record EnvInstruction(IReadOnlyList<KeyValue> Pairs) : Instruction;

public sealed record LabelInstruction(IReadOnlyList<KeyValue> Pairs) : Instruction;

/// <summary>ARG name[=default]; Default is raw (substituted when the step runs), null when absent.</summary>
public sealed record ArgInstruction(IReadOnlyList<(string Name, string? Default)> Args) : Instruction;

public sealed record WorkdirInstruction(string Path) : Instruction;

public sealed record UserInstruction(string User) : Instruction;

public sealed record ExposeInstruction(IReadOnlyList<string> Ports) : Instruction;

public sealed record VolumeInstruction(IReadOnlyList<string> Paths) : Instruction;

public sealed record CmdInstruction(CommandForm Command) : Instruction;

public sealed record EntrypointInstruction(CommandForm Command) : Instruction;

public sealed record ShellInstruction(IReadOnlyList<string> Shell) : Instruction;

public sealed record StopSignalInstruction(string Signal) : Instruction;

public sealed record MaintainerInstruction(string Name) : Instruction;

/// <summary>HEALTHCHECK NONE (Test = ["NONE"]) or CMD with its options; durations in nanoseconds, null when not given.</summary>
public sealed record HealthcheckInstruction(IReadOnlyList<string> Test, long? Interval, long? Timeout, long? StartPeriod, long? StartInterval, int? Retries) : Instruction;

/// <summary>A build stage: its FROM and the instructions after it.</summary>
public sealed record Stage(int Index, FromInstruction From, IReadOnlyList<Instruction> Instructions);

/// <summary>A parsed Dockerfile: ARGs before the first FROM, then the stages.</summary>
public sealed record Dockerfile(string FileName, char Escape, IReadOnlyList<ArgInstruction> MetaArgs, IReadOnlyList<Stage> Stages)
{
    /// <summary>The stage a --target names (by name, case-insensitive as Docker), or an error.</summary>
    public int StageIndex(string target)
    {
        for (var i = 0; i < Stages.Count; i++)
        {
            if (string.Equals(Stages[i].From.StageName, target, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        throw new DockerfileException($"failed to reach build target {target} in Dockerfile");
    }
}
