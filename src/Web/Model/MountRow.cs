using ContainerConsole.Web.Services;

namespace ContainerConsole.Web.Model;

/// <summary>One <c>--mount</c> row of the run dialog as typed: a type, a source (ignored for tmpfs, whose source box is disabled), a target and read-only.</summary>
public sealed class MountRow
{
    public const string Volume = "volume";
    public const string Bind = "bind";
    public const string Tmpfs = "tmpfs";

    public string Type { get; set; } = Volume;
    public string Source { get; set; } = "";
    public string Target { get; set; } = "";
    public bool ReadOnly { get; set; }

    /// <summary>The row as a mount; meant for a row without a <see cref="Problem"/>.</summary>
    public RunMount ToMount() =>
        new(Type, Type == Tmpfs || Source.Trim().Length == 0 ? null : Source.Trim(), Target.Trim(), ReadOnly);

    /// <summary>Why the row cannot be a mount, or null when it can.</summary>
    public string? Problem()
    {
        var source = Source.Trim();
        var target = Target.Trim();
        return Type switch
        {
            not (Volume or Bind or Tmpfs) => $"Unknown mount type '{Type}'; use volume, bind or tmpfs.",
            _ when target.Length == 0 => $"The {Type} mount needs a target path in the container.",
            _ when !target.StartsWith('/') => $"The {Type} mount needs an absolute target path in the container, not '{target}'.",
            Bind when !source.StartsWith('/') => $"The bind mount on {target} needs an absolute host path as source.",
            _ => null,
        };
    }
}
