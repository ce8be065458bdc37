namespace ContainerConsole.Runtime.Tests.TestSupport;

/// <summary>A fresh directory under /tmp, removed with everything in it on Dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("cc-runtime-tests-").FullName;
    }

    public string Path { get; }

    /// <summary>Absolute host path of a relative path inside the directory.</summary>
    public string this[string relative] => System.IO.Path.Combine(Path, relative.TrimStart('/'));

    public string CreateDirectory(string relative) => Directory.CreateDirectory(this[relative]).FullName;

    public string WriteFile(string relative, string content = "", UnixFileMode? mode = null)
    {
        var full = this[relative];
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        if (mode is { } m)
            File.SetUnixFileMode(full, m);
        return full;
    }

    public string WriteExecutable(string relative) =>
        WriteFile(relative, "#!/bin/sh\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                           UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

    public void Symlink(string relative, string target)
    {
        var full = this[relative];
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.CreateSymbolicLink(full, target);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>Finds the repository checkout the tests were built from.</summary>
public static class RepoRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "ContainerConsole.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"ContainerConsole.sln not found above {AppContext.BaseDirectory}");
    }
}
