using ContainerConsole.Images.Oci;
using ContainerConsole.Images.Store;

namespace ContainerConsole.Images.Registry;

/// <summary>
/// Picks the manifest for a platform from an OCI index or Docker manifest list. os and architecture must match; for
/// arm64 the variant may be absent or v8, for arm an image variant at or below ours matches (best first), for others
/// the variant must be absent or equal. Among equals the first listed wins, as the spec orders preference.
/// </summary>
public sealed record PlatformSelector(string Os, string Architecture, string? Variant)
{
    public static PlatformSelector Host() => new("linux", ImageStore.HostArchitecture(), ImageStore.HostArchitecture() switch
    {
        "arm64" => "v8",
        "arm" => "v7",
        _ => null,
    });

    /// <summary>"os/arch[/variant]" as docker's --platform; arch alone means linux.</summary>
    public static PlatformSelector Parse(string text)
    {
        var parts = text.Trim().ToLowerInvariant().Split('/')
            .Select(p => p switch { "x86_64" or "x86-64" => "amd64", "aarch64" => "arm64", _ => p }).ToArray();
        return parts switch
        {
            [var arch] when arch.Length > 0 => new PlatformSelector("linux", arch, null),
            [var os, var arch] when os.Length > 0 && arch.Length > 0 => new PlatformSelector(os, arch, null),
            [var os, var arch, var variant] when os.Length > 0 && arch.Length > 0 => new PlatformSelector(os, arch, variant.Length > 0 ? variant : null),
            _ => throw new ArgumentException($"invalid platform \"{text}\": expected os/arch[/variant]"),
        };
    }

    public override string ToString() => $"{Os}/{Architecture}" + (Variant is null ? "" : "/" + Variant);

    public Descriptor Select(ImageIndex index, string what)
    {
        var candidates = index.Manifests
            .Select((m, i) => (Manifest: m, Order: i, Rank: Rank(m)))
            .Where(c => c.Rank >= 0 && MediaTypes.IsManifest(c.Manifest.MediaType))
            .OrderByDescending(c => c.Rank).ThenBy(c => c.Order)
            .ToList();
        if (candidates.Count == 0)
        {
            var offered = string.Join(", ", index.Manifests.Where(m => m.Platform is not null)
                .Select(m => $"{m.Platform!.Os}/{m.Platform.Architecture}" + (m.Platform.Variant is { Length: > 0 } v ? "/" + v : "")));
            throw new ImageFormatException($"{what}: no matching manifest for {this} in the manifest list entries (offered: {(offered.Length == 0 ? "none" : offered)})");
        }

        return candidates[0].Manifest;
    }

    /// <summary>-1: does not run here; higher is a better match.</summary>
    private int Rank(Descriptor m)
    {
        if (m.Platform is not { } p)
        {
            return 0; // no platform given: usable, but any explicit match is better
        }

        if (p.Os != Os || p.Architecture != Architecture)
        {
            return -1;
        }

        var variant = string.IsNullOrEmpty(p.Variant) ? null : p.Variant;
        if (variant == Variant)
        {
            return 100;
        }

        if (Architecture == "arm64")
        {
            return variant is null or "v8" ? 90 : -1;
        }

        if (Architecture == "arm" && Variant is { } mine && variant is { } theirs && theirs.Length > 1 && mine.Length > 1
            && int.TryParse(theirs[1..], out var t) && int.TryParse(mine[1..], out var me))
        {
            return t <= me ? 50 + t : -1;
        }

        return variant is null ? 80 : -1;
    }
}
