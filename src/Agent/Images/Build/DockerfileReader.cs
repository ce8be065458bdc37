using System.Globalization;
using System.Text.RegularExpressions;

namespace ContainerConsole.Images.Build;

/// <summary>Turns a Dockerfile's text into stages of typed instructions; every error names the file and line.</summary>
public static partial class DockerfileReader
{
    [GeneratedRegex("^[a-z][a-z0-9-_.]*$")]
    private static partial Regex StageNamePattern();

    public static Dockerfile Read(string text, string fileName = "Dockerfile")
    {
        var parsed = DockerfileParser.Parse(text, fileName);
        var metaArgs = new List<ArgInstruction>();
        var stages = new List<Stage>();
        List<Instruction>? current = null;
        FromInstruction? from = null;
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var raw in parsed.Instructions)
        {
            Instruction instruction;
            try
            {
                instruction = Convert(raw, parsed.Escape) with { Line = raw.Line, Text = raw.Original };
            }
            catch (FormatException e)
            {
                throw new DockerfileException($"{fileName}:{raw.Line}: {e.Message}");
            }

            if (instruction is FromInstruction f)
            {
                if (from is not null)
                {
                    stages.Add(new Stage(stages.Count, from, current!));
                }

                if (f.StageName is { } name && !names.Add(name))
                {
                    throw new DockerfileException($"{fileName}:{raw.Line}: duplicate name {name}");
                }

                from = f;
                current = [];
            }
            else if (current is null)
            {
                if (instruction is ArgInstruction a)
                {
                    metaArgs.Add(a);
                    continue;
                }

                throw new DockerfileException($"{fileName}:{raw.Line}: no build stage in current context: {raw.Keyword} must follow a FROM instruction");
            }
            else
            {
                current.Add(instruction);
            }
        }

        if (from is null)
        {
            throw new DockerfileException($"{fileName}: the Dockerfile has no FROM instruction");
        }

        stages.Add(new Stage(stages.Count, from, current!));
        return new Dockerfile(fileName, parsed.Escape, metaArgs, stages);
    }

    /// <summary>One instruction on its own (a <c>--change</c> of commit or import).</summary>
    public static Instruction ReadInstruction(string text)
    {
        var parsed = DockerfileParser.Parse(text, "change");
        if (parsed.Instructions.Count != 1)
        {
            throw new DockerfileException($"expected one instruction, found {parsed.Instructions.Count}");
        }

        var raw = parsed.Instructions[0];
        try
        {
            return Convert(raw, parsed.Escape) with { Line = raw.Line, Text = raw.Original };
        }
        catch (FormatException e)
        {
            throw new DockerfileException(e.Message);
        }
    }

    private static Instruction Convert(RawInstruction raw, char escape)
    {
        var allowed = raw.Keyword switch
        {
            "FROM" => new[] { "platform" },
            "COPY" => ["chown", "from", "chmod"],
            "ADD" => ["chown", "chmod"],
            "HEALTHCHECK" => ["interval", "timeout", "start-period", "start-interval", "retries"],
            _ => [],
        };
        foreach (var flag in raw.Flags.Where(fl => !allowed.Contains(fl.Name)))
        {
            throw new FormatException(raw.Keyword == "RUN" || flag.Name is "link" or "parents" or "exclude" or "checksum" or "keep-git-dir"
                ? $"{raw.Keyword} --{flag.Name} needs BuildKit; this builder is Docker's classic one"
                : $"unknown flag: --{flag.Name} for {raw.Keyword}");
        }

        var flags = raw.Flags.ToDictionary(fl => fl.Name, fl => fl.Value ?? throw new FormatException($"{raw.Keyword} --{fl.Name} needs a value (--{fl.Name}=...)"));
        switch (raw.Keyword)
        {
            case "FROM":
            {
                var words = ShellWords.Split(raw.Args, escape);
                if (words.Count == 3 && words[1].Equals("AS", StringComparison.OrdinalIgnoreCase))
                {
                    var name = words[2].ToLowerInvariant();
                    if (!StageNamePattern().IsMatch(name))
                    {
                        throw new FormatException($"invalid name for build stage: \"{words[2]}\", name can't start with a number or contain symbols");
                    }

                    return new FromInstruction(words[0], name, flags.GetValueOrDefault("platform"));
                }

                if (words.Count != 1)
                {
                    throw new FormatException("FROM requires either one argument, or three: FROM <source> [AS <name>]");
                }

                return new FromInstruction(words[0], null, flags.GetValueOrDefault("platform"));
            }
            case "RUN":
                return new RunInstruction(Command(raw, "RUN"));
            case "CMD":
                return new CmdInstruction(Command(raw, "CMD", allowEmpty: true));
            case "ENTRYPOINT":
                return new EntrypointInstruction(Command(raw, "ENTRYPOINT", allowEmpty: true));
            case "SHELL":
                var shell = raw.JsonArgs() ?? throw new FormatException("SHELL requires the arguments to be in JSON form");
                return shell.Count == 0 ? throw new FormatException("SHELL requires at least one argument") : new ShellInstruction(shell);
            case "COPY" or "ADD":
            {
                var words = raw.JsonArgs()?.Select(w => QuoteForExpand(w, escape)).ToList() ?? ShellWords.Split(raw.Args, escape);
                if (words.Count < 2)
                {
                    throw new FormatException($"{raw.Keyword} requires at least two arguments, but only {words.Count} provided");
                }

                return new CopyInstruction(raw.Keyword == "ADD", words[..^1], words[^1], flags.GetValueOrDefault("chown"),
                    flags.GetValueOrDefault("from"), flags.GetValueOrDefault("chmod"));
            }
            case "ENV":
                return new EnvInstruction(Pairs(raw, escape, "ENV"));
            case "LABEL":
                return new LabelInstruction(Pairs(raw, escape, "LABEL"));
            case "ARG":
            {
                var words = ShellWords.Split(raw.Args, escape);
                if (words.Count == 0)
                {
                    throw new FormatException("ARG requires at least one argument");
                }

                return new ArgInstruction(words.Select(w =>
                {
                    var eq = w.IndexOf('=');
                    var name = eq < 0 ? w : w[..eq];
                    if (name.Length == 0)
                    {
                        throw new FormatException($"ARG names can not be blank: \"{w}\"");
                    }

                    return (name, eq < 0 ? null : w[(eq + 1)..]);
                }).ToList());
            }
            case "WORKDIR":
                return new WorkdirInstruction(Single(raw, "WORKDIR"));
            case "USER":
                return new UserInstruction(Single(raw, "USER"));
            case "STOPSIGNAL":
                return new StopSignalInstruction(Single(raw, "STOPSIGNAL"));
            case "MAINTAINER":
                return new MaintainerInstruction(Single(raw, "MAINTAINER"));
            case "EXPOSE":
            {
                var words = ShellWords.Split(raw.Args, escape);
                return words.Count == 0 ? throw new FormatException("EXPOSE requires at least one argument") : new ExposeInstruction(words);
            }
            case "VOLUME":
            {
                var words = raw.JsonArgs()?.Select(w => QuoteForExpand(w, escape)).ToList() ?? ShellWords.Split(raw.Args, escape);
                if (words.Count == 0 || words.Any(w => w.Trim().Length == 0))
                {
                    throw new FormatException("VOLUME specified can not be an empty string");
                }

                return new VolumeInstruction(words);
            }
            case "HEALTHCHECK":
                return Healthcheck(raw, flags);
            case "ONBUILD":
                throw new FormatException("ONBUILD is not supported by this builder");
            default:
                throw new FormatException($"unknown instruction: {raw.Keyword}");
        }
    }

    private static CommandForm Command(RawInstruction raw, string keyword, bool allowEmpty = false)
    {
        if (raw.JsonArgs() is { } exec)
        {
            return exec.Count == 0 && !allowEmpty ? throw new FormatException($"{keyword} requires at least one argument") : new CommandForm(exec, null);
        }

        var shell = raw.Args.Trim();
        return shell.Length == 0 ? throw new FormatException($"{keyword} requires at least one argument") : new CommandForm(null, shell);
    }

    private static string Single(RawInstruction raw, string keyword)
    {
        var value = raw.Args.Trim();
        return value.Length == 0 ? throw new FormatException($"{keyword} requires exactly one argument") : value;
    }

    /// <summary>ENV and LABEL: "key value" (legacy, one pair) or key=value pairs.</summary>
    private static List<KeyValue> Pairs(RawInstruction raw, char escape, string keyword)
    {
        var words = ShellWords.Split(raw.Args, escape);
        if (words.Count == 0)
        {
            throw new FormatException($"{keyword} requires at least one argument");
        }

        if (!words[0].Contains('='))
        {
            var rest = raw.Args.Trim()[words[0].Length..].Trim();
            if (rest.Length == 0 && keyword == "ENV")
            {
                throw new FormatException("ENV must have two arguments");
            }

            return [new KeyValue(words[0], rest)];
        }

        var pairs = new List<KeyValue>();
        foreach (var w in words)
        {
            var eq = w.IndexOf('=');
            if (eq <= 0)
            {
                throw new FormatException($"{keyword} names can not be blank" + (eq < 0 ? $": \"{w}\" is not of the form key=value" : ""));
            }

            pairs.Add(new KeyValue(w[..eq], w[(eq + 1)..]));
        }

        return pairs;
    }

    private static HealthcheckInstruction Healthcheck(RawInstruction raw, Dictionary<string, string> flags)
    {
        var args = raw.Args.Trim();
        var sp = args.IndexOfAny([' ', '\t']);
        var kind = (sp < 0 ? args : args[..sp]).ToUpperInvariant();
        var rest = sp < 0 ? "" : args[(sp + 1)..].Trim();
        if (kind == "NONE")
        {
            if (rest.Length > 0 || flags.Count > 0)
            {
                throw new FormatException("HEALTHCHECK NONE takes no arguments");
            }

            return new HealthcheckInstruction(["NONE"], null, null, null, null, null);
        }

        if (kind != "CMD")
        {
            throw new FormatException($"Unknown type \"{kind}\" in HEALTHCHECK (try CMD)");
        }

        var command = new RawInstruction("CMD", [], rest, raw.Line, rest);
        IReadOnlyList<string> test = command.JsonArgs() is { } exec ? ["CMD", .. exec]
            : rest.Length > 0 ? ["CMD-SHELL", rest] : throw new FormatException("Missing command after HEALTHCHECK CMD");
        int? retries = null;
        if (flags.TryGetValue("retries", out var r))
        {
            retries = int.TryParse(r, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                ? n : throw new FormatException($"--retries must be a non-negative integer, not \"{r}\"");
        }

        return new HealthcheckInstruction(test, Duration(flags, "interval"), Duration(flags, "timeout"), Duration(flags, "start-period"),
            Duration(flags, "start-interval"), retries);
    }

    private static long? Duration(Dictionary<string, string> flags, string name)
    {
        if (!flags.TryGetValue(name, out var text))
        {
            return null;
        }

        var ns = GoDuration.Parse(text) ?? throw new FormatException($"--{name}: invalid duration \"{text}\" (e.g. 30s, 1m30s, 500ms)");
        if (ns != 0 && ns < 1_000_000)
        {
            throw new FormatException($"--{name} cannot be less than 1ms");
        }

        return ns;
    }

    // exec-form words are literal except for variables: protect quotes and escapes from the word processor
    private static string QuoteForExpand(string word, char escape) =>
        string.Concat(word.Select(c => c is '"' or '\'' || c == escape ? $"{escape}{c}" : c.ToString()));
}

/// <summary>Go's time.ParseDuration for the forms Dockerfiles use: "300ms", "1.5h", "2h45m".</summary>
public static class GoDuration
{
    public static long? Parse(string text)
    {
        if (text == "0")
        {
            return 0;
        }

        var m = Regex.Match(text, @"^(?:(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h))+$");
        if (!m.Success)
        {
            return null;
        }

        double total = 0;
        for (var i = 0; i < m.Groups[1].Captures.Count; i++)
        {
            var value = double.Parse(m.Groups[1].Captures[i].Value, CultureInfo.InvariantCulture);
            total += value * m.Groups[2].Captures[i].Value switch
            {
                "ns" => 1,
                "us" or "µs" => 1e3,
                "ms" => 1e6,
                "s" => 1e9,
                "m" => 60e9,
                _ => 3600e9,
            };
        }

        return (long)Math.Round(total);
    }
}
