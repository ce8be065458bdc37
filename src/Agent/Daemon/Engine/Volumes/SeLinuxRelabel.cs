using System.Runtime.InteropServices;
using System.Text;
using ContainerConsole.Runtime.Interop;
using ContainerConsole.Runtime.Security;

namespace ContainerConsole.Agent.Engine.Volumes;

/// <summary>
/// -v SRC:DST:z and :Z on an SELinux host: the source's files get the container file type, with the shared level (z, for
/// several containers) or the container's own MCS pair (Z). System directories are refused, as dockerd refuses them.
/// </summary>
public static partial class SeLinuxRelabel
{
    private static readonly HashSet<string> SystemPaths =
    [
        "/", "/bin", "/boot", "/dev", "/etc", "/etc/passwd", "/etc/pki", "/etc/shadow", "/home", "/lib", "/lib64", "/media", "/opt",
        "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/usr", "/var",
    ];

    [LibraryImport("libc.so.6", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lsetxattr(string path, string name, byte[] value, nuint size, int flags);

    /// <summary>The label the source gets: the shared container file label for z, the container's mount label for Z.</summary>
    public static string LabelFor(string relabel, string mountLabel) =>
        relabel == "z" ? (SeLinuxLabeler.DefaultFile with { Level = "s0" }).ToString() : mountLabel;

    /// <summary>Refuses what relabelling would break the host with (/, /usr, /etc, ...).</summary>
    public static void Check(string source)
    {
        if (SystemPaths.Contains(source))
            throw EngineException.BadRequest($"relabeling content in {source} is not allowed");
    }

    /// <summary>Sets security.selinux on the source and everything below it, never following a symlink.</summary>
    public static void Apply(string source, string label)
    {
        Check(source);
        var value = Encoding.UTF8.GetBytes(label);
        Set(source, value);
        if (!Directory.Exists(source) || new DirectoryInfo(source).LinkTarget is not null)
            return;
        foreach (var entry in new DirectoryInfo(source).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false }))
            Set(entry.FullName, value);
    }

    private static void Set(string path, byte[] value)
    {
        if (lsetxattr(path, "security.selinux", value, (nuint)value.Length, 0) != 0)
            throw new EngineException(500, $"relabeling {path}: {SyscallException.Last("lsetxattr", path).Message}");
    }
}
