using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ContainerConsole.Server.Containers;

/// <summary>Checks a <see cref="ContainerSpec"/>, turns it into Docker's create body, and into a canonical form for comparison.</summary>
public static partial class ContainerSpecs
{
    /// <summary>Label holding the SHA-256 of the canonical desired settings (see <see cref="Canonical"/>).</summary>
    public const string DesiredHashLabel = "com.containerconsole.desired-hash";

    /// <summary>Label holding the canonical desired settings themselves, so a change can be named and a recreate can repeat them.</summary>
    public const string DesiredSpecLabel = "com.containerconsole.desired-spec";

    private const string ReservedLabelPrefix = "com.containerconsole.";
    private const long MinMemory = 6 * 1024 * 1024; // dockerd's minimum

    /// <summary>Field-named problems with <paramref name="spec"/>; empty when it is fine.</summary>
    public static Dictionary<string, string[]> Validate(ContainerSpec spec, bool nameRequired = false)
    {
        var errors = new Dictionary<string, string[]>();
        void Add(string field, string message) => errors[field] = [message];

        if (string.IsNullOrWhiteSpace(spec.Image))
        {
            Add("image", "An image is required.");
        }
        else if (!IsImageReference(spec.Image))
        {
            Add("image", $"'{spec.Image}' is not an image reference (e.g. busybox, registry:5000/team/app:1.2, app@sha256:<64 hex>) or an image id.");
        }

        if (spec.Name is not null || nameRequired)
        {
            CheckName(errors, "name", spec.Name);
        }

        CheckStrings(errors, "cmd", spec.Cmd);
        CheckStrings(errors, "entrypoint", spec.Entrypoint);
        foreach (var (key, value) in spec.Env ?? new Dictionary<string, string>())
        {
            if (key.Length == 0 || key.Contains('=') || key.Contains('\0') || (value ?? "").Contains('\0'))
            {
                Add($"env.{key}", "An environment variable needs a name without '=' and no NUL character.");
            }
        }

        for (var i = 0; i < (spec.Ports?.Count ?? 0); i++)
        {
            var port = spec.Ports![i];
            if (port is null)
            {
                Add($"ports[{i}]", "A port is required.");
                continue;
            }

            if (port.ContainerPort is < 1 or > 65535)
            {
                Add($"ports[{i}].containerPort", "A port from 1 to 65535 is required.");
            }

            if (port.Protocol is not (null or "tcp" or "udp" or "sctp"))
            {
                Add($"ports[{i}].protocol", $"Unknown protocol '{port.Protocol}'; use tcp, udp or sctp.");
            }

            if (port.HostPort is < 0 or > 65535)
            {
                Add($"ports[{i}].hostPort", "A port from 0 (any) to 65535 is required.");
            }

            if (port.HostIp is { Length: > 0 } ip && !System.Net.IPAddress.TryParse(ip, out _))
            {
                Add($"ports[{i}].hostIp", $"'{ip}' is not an IP address.");
            }
        }

        for (var i = 0; i < (spec.Volumes?.Count ?? 0); i++)
        {
            if (BindProblem(spec.Volumes![i]) is { } problem)
            {
                Add($"volumes[{i}]", problem);
            }
        }

        for (var i = 0; i < (spec.Mounts?.Count ?? 0); i++)
        {
            var mount = spec.Mounts![i];
            var type = mount?.Type ?? "volume";
            if (mount is null)
            {
                Add($"mounts[{i}]", "A mount is required.");
            }
            else if (type is not ("volume" or "bind" or "tmpfs"))
            {
                Add($"mounts[{i}].type", $"Unknown mount type '{type}'; use volume, bind or tmpfs.");
            }
            else if (string.IsNullOrEmpty(mount.Target) || !mount.Target.StartsWith('/'))
            {
                Add($"mounts[{i}].target", "An absolute path in the container is required.");
            }
            else if (type == "bind" && (string.IsNullOrEmpty(mount.Source) || !mount.Source.StartsWith('/')))
            {
                Add($"mounts[{i}].source", "A bind mount needs an absolute host path.");
            }
            else if (type == "tmpfs" && !string.IsNullOrEmpty(mount.Source))
            {
                Add($"mounts[{i}].source", "A tmpfs mount takes no source.");
            }
        }

        for (var i = 0; i < (spec.Networks?.Count ?? 0); i++)
        {
            var network = spec.Networks![i];
            if (network is null || string.IsNullOrWhiteSpace(network.Name))
            {
                Add($"networks[{i}].name", "A network name is required.");
            }
            else if (network.Aliases?.Any(a => string.IsNullOrWhiteSpace(a) || a.Any(char.IsWhiteSpace)) == true)
            {
                Add($"networks[{i}].aliases", "Aliases are names without spaces.");
            }
        }

        if (spec.Memory is not null && MemoryProblem(spec.Memory) is { } memoryProblem)
        {
            Add("memory", memoryProblem);
        }

        if (spec.Cpus is { } cpus && (double.IsNaN(cpus) || cpus <= 0 || cpus > Environment.ProcessorCount * 64))
        {
            Add("cpus", "A positive number of cores is required (e.g. 0.5).");
        }

        if (spec.PidsLimit is < -1 or 0)
        {
            Add("pidsLimit", "A positive number of processes (or -1 for none) is required.");
        }

        if (spec.RestartPolicy is not null && !TryParseRestartPolicy(spec.RestartPolicy, out _, out _))
        {
            Add("restartPolicy", $"Unknown restart policy '{spec.RestartPolicy}'; use no, always, unless-stopped or on-failure[:N].");
        }

        if (spec.HealthCheck is { } health)
        {
            if (health.Test is not { Count: > 0 } test || test[0] is not ("CMD" or "CMD-SHELL" or "NONE")
                || (test[0] != "NONE" && test.Count < 2) || (test[0] == "CMD-SHELL" && test.Count != 2))
            {
                Add("healthCheck.test", "Use [\"CMD\", executable, args...], [\"CMD-SHELL\", \"command\"] or [\"NONE\"].");
            }

            foreach (var (field, value) in new[] { ("interval", health.Interval), ("timeout", health.Timeout), ("startPeriod", health.StartPeriod) })
            {
                if (value is { } span && span < TimeSpan.FromMilliseconds(1))
                {
                    Add($"healthCheck.{field}", "A duration of at least 1 ms is required.");
                }
            }

            if (health.Retries is < 0)
            {
                Add("healthCheck.retries", "Retries cannot be negative.");
            }
        }

        CheckCapabilities(errors, "capAdd", spec.CapAdd);
        CheckCapabilities(errors, "capDrop", spec.CapDrop);
        if (spec.WorkingDir is { Length: > 0 } dir && !dir.StartsWith('/'))
        {
            Add("workingDir", "The working directory must be an absolute path.");
        }

        if (spec.User is { } user && (user.Length == 0 || user.Any(char.IsWhiteSpace) || user.Count(c => c == ':') > 1))
        {
            Add("user", "Use user[:group], by name or number.");
        }

        foreach (var key in spec.Labels?.Keys ?? [])
        {
            if (key.Length == 0)
            {
                Add("labels", "A label needs a name.");
            }
            else if (key.StartsWith(ReservedLabelPrefix, StringComparison.Ordinal))
            {
                Add($"labels.{key}", $"Labels starting with '{ReservedLabelPrefix}' are the server's own.");
            }
        }

        if (spec.Hostname is { } hostname && !HostnamePattern().IsMatch(hostname))
        {
            Add("hostname", "A host name of letters, digits, '-' and '.' (at most 63 characters) is required.");
        }

        return errors;
    }

    /// <summary>Checks a container name as Docker does: <c>[a-zA-Z0-9][a-zA-Z0-9_.-]*</c>.</summary>
    public static void CheckName(Dictionary<string, string[]> errors, string field, string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 255 || !NamePattern().IsMatch(name))
        {
            errors[field] = [$"'{name}' is not a container name: letters, digits, '_', '.', '-', starting with a letter or digit."];
        }
    }

    /// <summary>True for a Docker image reference (<c>[registry[:port]/]path[:tag][@digest]</c>) or an image id.</summary>
    public static bool IsImageReference(string value) =>
        value.Length <= 512 && (ImageReferencePattern().IsMatch(value) || ImageIdPattern().IsMatch(value));

    /// <summary>
    /// The settings in one canonical shape: image reference with its tag spelled out, maps sorted, absent fields
    /// left out, the name left out (it is the container's identity, not a setting). Equal settings give equal text.
    /// </summary>
    public static JsonObject Canonical(ContainerSpec spec)
    {
        var json = new JsonObject { ["image"] = NormalizeImage(spec.Image!) };
        void Set(string key, JsonNode? value)
        {
            if (value is not null)
            {
                json[key] = value;
            }
        }

        Set("cmd", Strings(spec.Cmd));
        Set("entrypoint", Strings(spec.Entrypoint));
        Set("env", Map(spec.Env));
        Set("ports", spec.Ports is { Count: > 0 } ports
            ? new JsonArray([.. ports.Select(p => (JsonNode)new JsonObject
            {
                ["containerPort"] = p.ContainerPort,
                ["protocol"] = p.Protocol ?? "tcp",
                ["hostPort"] = p.HostPort ?? 0,
                ["hostIp"] = p.HostIp ?? "",
            }).OrderBy(p => p.ToJsonString(), StringComparer.Ordinal)])
            : null);
        Set("volumes", Strings(spec.Volumes));
        Set("mounts", spec.Mounts is { Count: > 0 } mounts
            ? new JsonArray([.. mounts.Select(m => (JsonNode)new JsonObject
            {
                ["type"] = m.Type ?? "volume",
                ["source"] = m.Source ?? "",
                ["target"] = m.Target,
                ["readOnly"] = m.ReadOnly,
            })])
            : null);
        Set("networks", spec.Networks is { Count: > 0 } networks
            ? new JsonArray([.. networks.Select(n => (JsonNode)new JsonObject
            {
                ["name"] = n.Name,
                ["aliases"] = new JsonArray([.. (n.Aliases ?? []).Order(StringComparer.Ordinal).Select(a => JsonValue.Create(a))]),
            })])
            : null);
        Set("memory", spec.Memory is null ? null : JsonValue.Create(ParseMemory(spec.Memory)));
        Set("nanoCpus", spec.Cpus is { } cpus ? JsonValue.Create(NanoCpus(cpus)) : null);
        Set("pidsLimit", spec.PidsLimit is { } pids ? JsonValue.Create(pids) : null);
        if (spec.RestartPolicy is not null && TryParseRestartPolicy(spec.RestartPolicy, out var restart, out var retries) && restart != "no")
        {
            json["restartPolicy"] = retries > 0 ? $"{restart}:{retries}" : restart;
        }

        if (spec.HealthCheck is { } health)
        {
            json["healthCheck"] = new JsonObject
            {
                ["test"] = Strings(health.Test),
                ["interval"] = health.Interval?.Ticks,
                ["timeout"] = health.Timeout?.Ticks,
                ["retries"] = health.Retries,
                ["startPeriod"] = health.StartPeriod?.Ticks,
            };
        }

        Set("capAdd", Capabilities(spec.CapAdd));
        Set("capDrop", Capabilities(spec.CapDrop));
        Set("readOnly", spec.ReadOnly == true ? JsonValue.Create(true) : null);
        Set("user", spec.User is { Length: > 0 } user ? JsonValue.Create(user) : null);
        Set("workingDir", spec.WorkingDir is { Length: > 0 } dir ? JsonValue.Create(dir) : null);
        Set("labels", Map(spec.Labels));
        Set("tty", spec.Tty == true ? JsonValue.Create(true) : null);
        Set("hostname", spec.Hostname is { Length: > 0 } hostname ? JsonValue.Create(hostname) : null);
        return json;
    }

    /// <summary>SHA-256 of the canonical settings, as lowercase hex.</summary>
    public static string Hash(JsonObject canonical) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToJsonString())));

    /// <summary>The top-level settings that differ between two canonical forms.</summary>
    public static IReadOnlyList<string> Differences(JsonObject before, JsonObject after) =>
        [.. before.Select(p => p.Key).Union(after.Select(p => p.Key))
            .Where(key => !JsonNode.DeepEquals(before[key], after[key]))
            .Order(StringComparer.Ordinal)];

    /// <summary>Docker's <c>POST /containers/create</c> body for a valid <paramref name="spec"/>, with <paramref name="extraLabels"/> added.</summary>
    public static JsonObject ToCreateBody(ContainerSpec spec, IReadOnlyDictionary<string, string>? extraLabels = null)
    {
        var labels = new JsonObject();
        foreach (var (key, value) in (spec.Labels ?? new Dictionary<string, string>()).Concat(extraLabels ?? new Dictionary<string, string>()))
        {
            labels[key] = value;
        }

        var body = new JsonObject
        {
            ["Image"] = spec.Image,
            ["Labels"] = labels,
            ["Tty"] = spec.Tty == true,
            ["OpenStdin"] = false,
            ["AttachStdout"] = false,
            ["AttachStderr"] = false,
        };
        if (spec.Cmd is not null)
        {
            body["Cmd"] = Strings(spec.Cmd, keepEmpty: true);
        }

        if (spec.Entrypoint is not null)
        {
            body["Entrypoint"] = Strings(spec.Entrypoint, keepEmpty: true);
        }

        if (spec.Env is { Count: > 0 } env)
        {
            body["Env"] = new JsonArray([.. env.Select(kv => JsonValue.Create($"{kv.Key}={kv.Value}"))]);
        }

        if (!string.IsNullOrEmpty(spec.User))
        {
            body["User"] = spec.User;
        }

        if (!string.IsNullOrEmpty(spec.WorkingDir))
        {
            body["WorkingDir"] = spec.WorkingDir;
        }

        if (!string.IsNullOrEmpty(spec.Hostname))
        {
            body["Hostname"] = spec.Hostname;
        }

        var host = new JsonObject();
        if (spec.Ports is { Count: > 0 } ports)
        {
            var exposed = new JsonObject();
            var bindings = new JsonObject();
            foreach (var port in ports)
            {
                var key = $"{port.ContainerPort}/{port.Protocol ?? "tcp"}";
                exposed[key] = new JsonObject();
                if (bindings[key] is not JsonArray list)
                {
                    bindings[key] = list = [];
                }

                list.Add(new JsonObject
                {
                    ["HostIp"] = port.HostIp ?? "",
                    ["HostPort"] = port.HostPort is > 0 ? port.HostPort.Value.ToString(CultureInfo.InvariantCulture) : "",
                });
            }

            body["ExposedPorts"] = exposed;
            host["PortBindings"] = bindings;
        }

        if (spec.Volumes is { Count: > 0 } binds)
        {
            host["Binds"] = Strings(binds, keepEmpty: true);
        }

        if (spec.Mounts is { Count: > 0 } mounts)
        {
            host["Mounts"] = new JsonArray([.. mounts.Select(m =>
            {
                var mount = new JsonObject { ["Type"] = m.Type ?? "volume", ["Target"] = m.Target, ["ReadOnly"] = m.ReadOnly };
                if (!string.IsNullOrEmpty(m.Source))
                {
                    mount["Source"] = m.Source;
                }

                return (JsonNode)mount;
            })]);
        }

        if (spec.Networks is { Count: > 0 } networks)
        {
            host["NetworkMode"] = networks[0].Name;
            var endpoints = new JsonObject();
            foreach (var network in networks)
            {
                endpoints[network.Name!] = new JsonObject
                {
                    ["Aliases"] = new JsonArray([.. (network.Aliases ?? []).Select(a => JsonValue.Create(a))]),
                };
            }

            body["NetworkingConfig"] = new JsonObject { ["EndpointsConfig"] = endpoints };
        }

        if (spec.Memory is not null)
        {
            host["Memory"] = ParseMemory(spec.Memory);
        }

        if (spec.Cpus is { } cpus)
        {
            host["NanoCpus"] = NanoCpus(cpus);
        }

        if (spec.PidsLimit is { } pids)
        {
            host["PidsLimit"] = pids;
        }

        if (spec.RestartPolicy is not null && TryParseRestartPolicy(spec.RestartPolicy, out var restart, out var retries))
        {
            host["RestartPolicy"] = new JsonObject { ["Name"] = restart, ["MaximumRetryCount"] = retries };
        }

        if (spec.HealthCheck is { } health)
        {
            var check = new JsonObject { ["Test"] = Strings(health.Test, keepEmpty: true) };
            if (health.Interval is { } interval)
            {
                check["Interval"] = interval.Ticks * 100;
            }

            if (health.Timeout is { } timeout)
            {
                check["Timeout"] = timeout.Ticks * 100;
            }

            if (health.StartPeriod is { } start)
            {
                check["StartPeriod"] = start.Ticks * 100;
            }

            if (health.Retries is { } healthRetries)
            {
                check["Retries"] = healthRetries;
            }

            body["Healthcheck"] = check;
        }

        if (spec.CapAdd is { Count: > 0 })
        {
            host["CapAdd"] = Capabilities(spec.CapAdd);
        }

        if (spec.CapDrop is { Count: > 0 })
        {
            host["CapDrop"] = Capabilities(spec.CapDrop);
        }

        if (spec.ReadOnly == true)
        {
            host["ReadonlyRootfs"] = true;
        }

        body["HostConfig"] = host;
        return body;
    }

    /// <summary>Docker's <c>POST /containers/{id}/update</c> body for valid <paramref name="limits"/>.</summary>
    public static JsonObject ToUpdateBody(ContainerLimits limits)
    {
        var body = new JsonObject();
        if (limits.Memory is not null)
        {
            body["Memory"] = ParseMemory(limits.Memory);
            body["MemorySwap"] = -1; // unlimited swap, else dockerd refuses a memory limit above the old swap limit
        }

        if (limits.Cpus is { } cpus)
        {
            body["NanoCpus"] = NanoCpus(cpus);
        }

        if (limits.PidsLimit is { } pids)
        {
            body["PidsLimit"] = pids;
        }

        if (limits.RestartPolicy is not null && TryParseRestartPolicy(limits.RestartPolicy, out var restart, out var retries))
        {
            body["RestartPolicy"] = new JsonObject { ["Name"] = restart, ["MaximumRetryCount"] = retries };
        }

        return body;
    }

    /// <summary>Field-named problems with <paramref name="limits"/>.</summary>
    public static Dictionary<string, string[]> Validate(ContainerLimits limits)
    {
        var errors = Validate(new ContainerSpec("busybox", Memory: limits.Memory, Cpus: limits.Cpus, PidsLimit: limits.PidsLimit, RestartPolicy: limits.RestartPolicy));
        if (limits is { Memory: null, Cpus: null, PidsLimit: null, RestartPolicy: null })
        {
            errors[""] = ["Give at least one of memory, cpus, pidsLimit, restartPolicy."];
        }

        return errors;
    }

    /// <summary>Bytes of <c>512</c>, <c>64k</c>, <c>256m</c>, <c>1g</c> (binary units, <c>b</c> suffix optional).</summary>
    public static long ParseMemory(string value)
    {
        var match = MemoryPattern().Match(value.Trim());
        if (!match.Success)
        {
            throw new FormatException($"'{value}' is not a size.");
        }

        var number = decimal.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var factor = char.ToLowerInvariant(match.Groups[2].Value.FirstOrDefault()) switch
        {
            'k' => 1024m,
            'm' => 1024m * 1024,
            'g' => 1024m * 1024 * 1024,
            't' => 1024m * 1024 * 1024 * 1024,
            _ => 1m,
        };
        return (long)Math.Min(number * factor, long.MaxValue);
    }

    /// <summary><c>no</c>, <c>always</c>, <c>unless-stopped</c>, <c>on-failure[:N]</c>.</summary>
    public static bool TryParseRestartPolicy(string value, out string name, out int retries)
    {
        retries = 0;
        var parts = value.Split(':');
        name = parts[0];
        if (name is "no" or "always" or "unless-stopped")
        {
            return parts.Length == 1;
        }

        return name == "on-failure" && (parts.Length == 1 || (parts.Length == 2 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out retries)));
    }

    private static string? MemoryProblem(string value)
    {
        if (!MemoryPattern().IsMatch(value.Trim()))
        {
            return $"'{value}' is not a size; use bytes or a number with k, m or g (e.g. 256m).";
        }

        return ParseMemory(value) < MinMemory ? "The memory limit must be at least 6m." : null;
    }

    private static string? BindProblem(string? bind)
    {
        var parts = (bind ?? "").Split(':');
        if (parts.Length is < 2 or > 3 || parts[0].Length == 0 || !parts[1].StartsWith('/'))
        {
            return $"'{bind}' is not SOURCE:TARGET[:ro|rw] with an absolute TARGET.";
        }

        if (parts.Length == 3 && parts[2].Split(',').Any(o => o is not ("ro" or "rw" or "z" or "Z" or "private" or "rprivate" or "shared" or "rshared" or "slave" or "rslave" or "nocopy")))
        {
            return $"'{parts[2]}' holds an unknown option; use ro or rw.";
        }

        return !parts[0].StartsWith('/') && !VolumeNamePattern().IsMatch(parts[0])
            ? $"'{parts[0]}' is neither an absolute host path nor a volume name."
            : null;
    }

    private static void CheckStrings(Dictionary<string, string[]> errors, string field, IReadOnlyList<string>? values)
    {
        if (values?.Any(v => v is null || v.Contains('\0')) == true)
        {
            errors[field] = ["Every element must be a string without NUL characters."];
        }
    }

    private static void CheckCapabilities(Dictionary<string, string[]> errors, string field, IReadOnlyList<string>? values)
    {
        foreach (var value in values ?? [])
        {
            if (value is null || !CapabilityPattern().IsMatch(value))
            {
                errors[field] = [$"'{value}' is not a capability name (e.g. NET_ADMIN, CAP_SYS_TIME or ALL)."];
                return;
            }
        }
    }

    private static long NanoCpus(double cpus) => (long)Math.Round(cpus * 1e9);

    private static string NormalizeImage(string image)
    {
        if (ImageIdPattern().IsMatch(image) || image.Contains('@'))
        {
            return image;
        }

        var lastSlash = image.LastIndexOf('/');
        return image.IndexOf(':', lastSlash + 1) >= 0 ? image : image + ":latest";
    }

    private static JsonArray? Strings(IReadOnlyList<string>? values, bool keepEmpty = false) =>
        values is null || (values.Count == 0 && !keepEmpty) ? null : new JsonArray([.. values.Select(v => JsonValue.Create(v))]);

    private static JsonArray? Capabilities(IReadOnlyList<string>? values) =>
        values is not { Count: > 0 }
            ? null
            : new JsonArray([.. values.Select(v => v.ToUpperInvariant()).Select(v => v.StartsWith("CAP_", StringComparison.Ordinal) ? v[4..] : v)
                .Distinct().Order(StringComparer.Ordinal).Select(v => JsonValue.Create(v))]);

    private static JsonObject? Map(IReadOnlyDictionary<string, string>? values)
    {
        if (values is not { Count: > 0 })
        {
            return null;
        }

        var json = new JsonObject();
        foreach (var (key, value) in values.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            json[key] = value;
        }

        return json;
    }

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")]
    private static partial Regex VolumeNamePattern();

    // [host[:port]/]component(/component)*[:tag][@digest], components lowercase as in the distribution reference grammar.
    [GeneratedRegex(@"^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$")]
    private static partial Regex ImageReferencePattern();

    [GeneratedRegex("^(?:sha256:)?[a-f0-9]{12,64}$")]
    private static partial Regex ImageIdPattern();

    [GeneratedRegex(@"^([0-9]+(?:\.[0-9]+)?)\s*([kKmMgGtT]?)[iI]?[bB]?$")]
    private static partial Regex MemoryPattern();

    [GeneratedRegex("^(?:CAP_)?[A-Za-z_]+$")]
    private static partial Regex CapabilityPattern();

    [GeneratedRegex(@"^[a-zA-Z0-9](?:[a-zA-Z0-9.-]{0,62})$")]
    private static partial Regex HostnamePattern();
}
