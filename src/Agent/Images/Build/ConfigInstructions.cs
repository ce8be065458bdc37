using System.Globalization;
using System.Text.RegularExpressions;
using ContainerConsole.Images.Oci;
using ContainerConsole.Runtime.Lifecycle;

namespace ContainerConsole.Images.Build;

/// <summary>
/// The Dockerfile instructions that only change an image's run config, applied to a config. Shared by build steps and
/// by <c>docker commit --change</c> / <c>docker import --change</c>, so all three read an instruction the same way.
/// </summary>
public static partial class ConfigInstructions
{
    [GeneratedRegex(@"^(\d+)(?:-(\d+))?(?:/(tcp|udp|sctp))?$", RegexOptions.IgnoreCase)]
    private static partial Regex PortPattern();

    /// <summary>What commit and import accept in --change (Docker's list, less ONBUILD).</summary>
    public static readonly IReadOnlySet<string> ChangeKeywords =
        new HashSet<string>(["CMD", "ENTRYPOINT", "ENV", "EXPOSE", "LABEL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"], StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Applies <paramref name="instruction"/> to <paramref name="c"/> with <paramref name="expand"/> substituting
    /// variables; returns the new config and the instruction's canonical text for the image history, or null when the
    /// instruction is not a config-only one. <paramref name="cmdSet"/>: a CMD came earlier in this stage, so an
    /// ENTRYPOINT keeps it (otherwise, as in Docker, an ENTRYPOINT resets the inherited CMD).
    /// Throws <see cref="FormatException"/> with Docker's wording on a bad port or signal.
    /// </summary>
    public static (ContainerConfig Config, string Text)? Apply(ContainerConfig c, Instruction instruction, Func<string, string> expand,
        IReadOnlyList<string> shell, bool cmdSet)
    {
        switch (instruction)
        {
            case EnvInstruction env:
            {
                var pairs = env.Pairs.Select(p => (Key: expand(p.Key), Value: expand(p.Value))).ToList();
                var list = (c.Env ?? []).ToList();
                foreach (var (k, v) in pairs)
                {
                    var at = list.FindIndex(e => e.StartsWith(k + "=", StringComparison.Ordinal));
                    if (at >= 0)
                    {
                        list[at] = $"{k}={v}";
                    }
                    else
                    {
                        list.Add($"{k}={v}");
                    }
                }

                return (c with { Env = list }, "ENV " + string.Join(' ', pairs.Select(p => $"{p.Key}={p.Value}")));
            }

            case LabelInstruction label:
            {
                var pairs = label.Pairs.Select(p => (Key: expand(p.Key), Value: expand(p.Value))).ToList();
                var labels = new Dictionary<string, string>(c.Labels ?? new Dictionary<string, string>());
                foreach (var (k, v) in pairs)
                {
                    labels[k] = v;
                }

                return (c with { Labels = labels }, "LABEL " + string.Join(' ', pairs.Select(p => $"{p.Key}={p.Value}")));
            }

            case UserInstruction user:
                return (c with { User = expand(user.User) }, "USER " + expand(user.User));
            case ExposeInstruction expose:
            {
                var ports = new Dictionary<string, EmptyObject>(c.ExposedPorts ?? new Dictionary<string, EmptyObject>());
                var added = new List<string>();
                foreach (var word in expose.Ports.Select(expand))
                {
                    var m = PortPattern().Match(word);
                    if (!m.Success)
                    {
                        throw new FormatException($"invalid containerPort: {word}");
                    }

                    var first = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                    var last = m.Groups[2].Success ? int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) : first;
                    if (first is < 1 or > 65535 || last < first || last > 65535)
                    {
                        throw new FormatException($"invalid port range: {word}");
                    }

                    var proto = m.Groups[3].Success ? m.Groups[3].Value.ToLowerInvariant() : "tcp";
                    for (var p = first; p <= last; p++)
                    {
                        ports[$"{p}/{proto}"] = new EmptyObject();
                        added.Add($"{p}/{proto}");
                    }
                }

                return (c with { ExposedPorts = ports }, "EXPOSE " + string.Join(' ', added));
            }

            case VolumeInstruction volume:
            {
                var volumes = new Dictionary<string, EmptyObject>(c.Volumes ?? new Dictionary<string, EmptyObject>());
                var paths = volume.Paths.Select(expand).ToList();
                foreach (var p in paths)
                {
                    volumes[p] = new EmptyObject();
                }

                return (c with { Volumes = volumes }, "VOLUME [" + string.Join(' ', paths) + "]");
            }

            case CmdInstruction cmd:
            {
                var args = cmd.Command.Resolve(shell);
                return (c with { Cmd = [.. args] }, "CMD " + Json(args));
            }

            case EntrypointInstruction ep:
            {
                var args = ep.Command.Resolve(shell);
                return (c with { Entrypoint = [.. args], Cmd = cmdSet ? c.Cmd : null }, "ENTRYPOINT " + Json(args));
            }

            case ShellInstruction sh:
                return (c with { Shell = sh.Shell }, "SHELL " + Json(sh.Shell));
            case StopSignalInstruction stop:
            {
                var signal = expand(stop.Signal);
                try
                {
                    Signals.Parse(signal);
                }
                catch (ArgumentException)
                {
                    throw new FormatException($"Invalid signal: {signal}");
                }

                return (c with { StopSignal = signal }, "STOPSIGNAL " + signal);
            }

            case HealthcheckInstruction hc:
            {
                var health = new HealthcheckConfig
                {
                    Test = hc.Test, Interval = hc.Interval, Timeout = hc.Timeout, StartPeriod = hc.StartPeriod,
                    StartInterval = hc.StartInterval, Retries = hc.Retries,
                };
                return (c with { Healthcheck = health }, "HEALTHCHECK " + instruction.Text["HEALTHCHECK".Length..].Trim());
            }

            default:
                return null;
        }
    }

    /// <summary>
    /// <c>--change</c> lines of commit and import applied in order. WORKDIR is set as given (relative paths join the
    /// current one); variables expand from the config's own Env. Errors name the change.
    /// </summary>
    public static ContainerConfig ApplyChanges(ContainerConfig config, IEnumerable<string> changes)
    {
        foreach (var change in changes.Where(ch => !string.IsNullOrWhiteSpace(ch)))
        {
            var keyword = change.TrimStart().Split([' ', '\t'], 2)[0];
            if (!ChangeKeywords.Contains(keyword))
            {
                throw new DockerfileException($"--change \"{change}\": {keyword.ToUpperInvariant()} is not a valid change command");
            }

            Instruction instruction;
            try
            {
                instruction = DockerfileReader.ReadInstruction(change);
            }
            catch (DockerfileException e)
            {
                throw new DockerfileException($"--change \"{change}\": {e.Message}");
            }

            var env = (config.Env ?? []).Select(e => e.Split('=', 2)).Where(kv => kv.Length == 2).GroupBy(kv => kv[0]).ToDictionary(g => g.Key, g => g.Last()[1]);
            string Expand(string word) => ShellWords.Expand(word, n => env.GetValueOrDefault(n), '\\');
            try
            {
                if (instruction is WorkdirInstruction w)
                {
                    var path = Expand(w.Path);
                    config = config with { WorkingDir = path.StartsWith('/') ? path : Path.Combine(config.WorkingDir ?? "/", path) };
                    continue;
                }

                config = Apply(config, instruction, Expand, config.Shell ?? ["/bin/sh", "-c"], cmdSet: true)!.Value.Config;
            }
            catch (FormatException e)
            {
                throw new DockerfileException($"--change \"{change}\": {e.Message}");
            }
        }

        return config;
    }

    private static string Json(IReadOnlyList<string> args) =>
        System.Text.Json.JsonSerializer.Serialize(args.ToArray(), ConfigInstructionsJsonContext.Default.StringArray);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
internal sealed partial class ConfigInstructionsJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
