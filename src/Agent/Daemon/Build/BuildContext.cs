using System.Formats.Tar;
using System.Text;
using ContainerConsole.Agent.Engine;
using ContainerConsole.Images.Archives;
using ContainerConsole.Images.Build;

namespace ContainerConsole.Agent.Build;

/// <summary>
/// The build context, rebuilt as a directory tree from the uploaded tar. Entries are staged by
/// <see cref="ArchiveStaging"/> first (names never steer a write), a tar whose names leave the root is refused, no
/// write passes through a symlink, and paths .dockerignore excludes are left out. The Dockerfile and .dockerignore
/// are read from the archive even when .dockerignore excludes them (then COPY cannot see them), as Docker does.
/// </summary>
public sealed class BuildContext
{
    private const long MaxDockerfile = 1 << 20;

    private BuildContext(string root, string dockerfileText)
    {
        Root = root;
        DockerfileText = dockerfileText;
    }

    /// <summary>The tree COPY and ADD read from.</summary>
    public string Root { get; }

    public string DockerfileText { get; }

    public static async Task<BuildContext> ExtractAsync(Stream tar, string workDir, string dockerfileName, CancellationToken ct)
    {
        using var staging = await ArchiveStaging.ExtractAsync(tar, Path.Combine(workDir, "staging"), ct);
        if (staging.EscapingNames.Count > 0)
        {
            throw EngineException.BadRequest($"build context: entry \"{staging.EscapingNames[0]}\" points outside the context");
        }

        var dockerfilePath = staging.PathOf(dockerfileName)
            ?? throw EngineException.BadRequest($"Cannot locate specified Dockerfile: {dockerfileName}");
        if (new FileInfo(dockerfilePath).Length > MaxDockerfile)
        {
            throw EngineException.BadRequest($"{dockerfileName} is larger than {MaxDockerfile} bytes");
        }

        var dockerfile = await File.ReadAllTextAsync(dockerfilePath, Encoding.UTF8, ct);
        var ignore = staging.PathOf(".dockerignore") is { } ignorePath
            ? DockerIgnore.Parse(await File.ReadAllTextAsync(ignorePath, ct))
            : new DockerIgnore([]);

        var root = Path.Combine(workDir, "context");
        Directory.CreateDirectory(root);
        var dirs = new List<StagedEntry>();
        var links = new List<StagedEntry>();
        foreach (var e in staging.Entries.Where(e => !ignore.IsExcluded(e.Name)))
        {
            ct.ThrowIfCancellationRequested();
            var target = Path.Combine(root, e.Name);
            switch (e.Type)
            {
                case TarEntryType.Directory:
                    EnsureRealDirectory(root, e.Name);
                    dirs.Add(e);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                    EnsureRealDirectory(root, Parent(e.Name));
                    if (File.Exists(target) || Directory.Exists(target))
                    {
                        throw EngineException.BadRequest($"build context: \"{e.Name}\" appears twice");
                    }

                    File.Copy(staging.PathOf(e.Name)!, target);
                    File.SetUnixFileMode(target, e.Mode);
                    File.SetLastWriteTimeUtc(target, e.ModificationTime.UtcDateTime);
                    break;
                case TarEntryType.SymbolicLink or TarEntryType.HardLink:
                    links.Add(e);
                    break;
            }
        }

        foreach (var l in links)
        {
            EnsureRealDirectory(root, Parent(l.Name));
            var target = Path.Combine(root, l.Name);
            if (File.Exists(target) || Directory.Exists(target) || new FileInfo(target).LinkTarget is not null)
            {
                throw EngineException.BadRequest($"build context: \"{l.Name}\" appears twice");
            }

            if (l.Type == TarEntryType.SymbolicLink)
            {
                // read later only through CopyPlan, which resolves links inside the context
                File.CreateSymbolicLink(target, l.LinkName ?? "");
            }
            else if (staging.PathOf(l.Name) is { } data)
            {
                File.Copy(data, target); // a hard link to a staged file: its content
            }
        }

        foreach (var d in dirs.OrderByDescending(d => d.Name.Length))
        {
            var path = Path.Combine(root, d.Name);
            File.SetUnixFileMode(path, d.Mode);
            Directory.SetLastWriteTimeUtc(path, d.ModificationTime.UtcDateTime);
        }

        return new BuildContext(root, dockerfile);
    }

    private static string Parent(string name) => name.Contains('/') ? name[..name.LastIndexOf('/')] : "";

    /// <summary>mkdir -p inside root, refusing any existing element that is not a real directory (e.g. a symlink).</summary>
    private static void EnsureRealDirectory(string root, string rel)
    {
        var current = root;
        foreach (var part in rel.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            var info = new DirectoryInfo(current);
            if (info.LinkTarget is not null || File.Exists(current))
            {
                throw EngineException.BadRequest($"build context: \"{rel}\" is below a file or symbolic link");
            }

            if (!info.Exists)
            {
                Directory.CreateDirectory(current);
            }
        }
    }
}
