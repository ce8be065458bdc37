using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace ContainerConsole.Images.Store;

/// <summary>A normalized Docker image reference: domain/path[:tag][@digest].</summary>
public sealed partial record ImageReference(string Domain, string Path, string? Tag, string? Digest)
{
    public const string DefaultDomain = "docker.io";
    public const string DefaultTag = "latest";

    /// <summary>domain/path, e.g. docker.io/library/busybox.</summary>
    public string Name => $"{Domain}/{Path}";

    public override string ToString() => Name + (Tag is null ? "" : ":" + Tag) + (Digest is null ? "" : "@" + Digest);

    /// <summary>"busybox" → docker.io/library/busybox:latest; "myreg:5000/a/b:1" stays; "x@sha256:…" keeps its digest.</summary>
    public static ImageReference Parse(string reference) =>
        TryParse(reference, out var parsed, out var error) ? parsed : throw new ArgumentException($"invalid reference format \"{reference}\": {error}", nameof(reference));

    public static string Normalize(string reference) => Parse(reference).ToString();

    public static bool TryParse(string? reference, [NotNullWhen(true)] out ImageReference? parsed) => TryParse(reference, out parsed, out _);

    private static bool TryParse(string? reference, [NotNullWhen(true)] out ImageReference? parsed, out string error)
    {
        parsed = null;
        error = "";
        if (string.IsNullOrEmpty(reference) || reference.Length > 4096)
        {
            error = "empty or too long";
            return false;
        }

        var rest = reference;
        string? digest = null;
        var at = rest.IndexOf('@');
        if (at >= 0)
        {
            digest = rest[(at + 1)..];
            rest = rest[..at];
            if (!Digests.IsValid(digest))
            {
                error = "digest must be sha256:<64 hex>";
                return false;
            }
        }

        string domain;
        var slash = rest.IndexOf('/');
        if (slash > 0 && (rest[..slash].Contains('.') || rest[..slash].Contains(':') || rest[..slash] == "localhost" || rest[..slash].Any(char.IsUpper)))
        {
            domain = rest[..slash];
            rest = rest[(slash + 1)..];
        }
        else
        {
            domain = DefaultDomain;
        }

        string? tag = null;
        var colon = rest.LastIndexOf(':');
        if (colon >= 0 && colon > rest.LastIndexOf('/'))
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
            if (!TagRegex().IsMatch(tag))
            {
                error = $"invalid tag \"{tag}\"";
                return false;
            }
        }

        if (domain == "index.docker.io")
        {
            domain = DefaultDomain;
        }

        if (domain == DefaultDomain && !rest.Contains('/'))
        {
            rest = "library/" + rest;
        }

        if (!DomainRegex().IsMatch(domain))
        {
            error = $"invalid domain \"{domain}\"";
            return false;
        }

        if (rest.Length == 0 || rest.Split('/').Any(c => !PathComponentRegex().IsMatch(c)))
        {
            error = "repository name must be lowercase components of [a-z0-9] separated by '.', '_', '__' or '-'";
            return false;
        }

        if (domain.Length + 1 + rest.Length > 255)
        {
            error = "repository name longer than 255 characters";
            return false;
        }

        if (tag is null && digest is null)
        {
            tag = DefaultTag;
        }

        parsed = new ImageReference(domain, rest, tag, digest);
        return true;
    }

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex TagRegex();

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")]
    private static partial Regex PathComponentRegex();

    [GeneratedRegex(@"^(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])(?:\.(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]))*(?::[0-9]+)?$")]
    private static partial Regex DomainRegex();
}
