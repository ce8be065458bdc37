using System.Runtime.InteropServices;
using System.Text;
using ContainerConsole.Runtime.Interop;
using static Tmds.Linux.LibC;

namespace ContainerConsole.Runtime.Cgroups;

/// <summary>
/// The few filesystem operations the cgroup managers need. Paths are absolute. Failures throw
/// <see cref="CgroupException"/> carrying errno, so callers can react to EBUSY/ENOENT.
/// </summary>
public interface ICgroupFs
{
    /// <summary>Whole file content.</summary>
    string ReadFile(string path);

    /// <summary>One write(2) of <paramref name="value"/> to an existing file (no O_CREAT, no O_TRUNC).</summary>
    void WriteFile(string path, string value);

    bool FileExists(string path);

    bool DirectoryExists(string path);

    /// <summary>mkdir(2) of one level; an existing directory is not an error.</summary>
    void CreateDirectory(string path);

    /// <summary>rmdir(2); throws with the errno (EBUSY while tasks remain, ENOENT when already gone).</summary>
    void RemoveDirectory(string path);

    /// <summary>Names (not paths) of the subdirectories, i.e. the child cgroups.</summary>
    IReadOnlyList<string> ListDirectories(string path);
}

/// <summary>The real cgroupfs through libc, so errno survives (File.* would hide it in IOException).</summary>
public sealed unsafe class RealCgroupFs : ICgroupFs
{
    public string ReadFile(string path)
    {
        var fd = Open(path, O_RDONLY | O_CLOEXEC, "read");
        try
        {
            var result = new MemoryStream();
            var buf = stackalloc byte[4096];
            while (true)
            {
                var n = (long)read(fd, buf, 4096);
                if (n < 0)
                {
                    var e = Marshal.GetLastPInvokeError();
                    if (e == Errnos.EINTR)
                        continue;
                    throw new CgroupException($"read {path}", e, path);
                }
                if (n == 0)
                    break;
                result.Write(new ReadOnlySpan<byte>(buf, (int)n));
            }
            return Encoding.UTF8.GetString(result.GetBuffer(), 0, (int)result.Length);
        }
        finally
        {
            close(fd);
        }
    }

    public void WriteFile(string path, string value)
    {
        var fd = Open(path, O_WRONLY | O_CLOEXEC, $"write \"{value}\" to");
        try
        {
            // cgroupfs parses each write(2) as one complete value, so it must go out in a single call.
            var bytes = Encoding.UTF8.GetBytes(value);
            fixed (byte* p = bytes)
            {
                while (true)
                {
                    var n = (long)write(fd, p, bytes.Length);
                    if (n >= 0)
                        break;
                    var e = Marshal.GetLastPInvokeError();
                    if (e != Errnos.EINTR)
                        throw new CgroupException($"write \"{value}\" to {path}", e, path);
                }
            }
        }
        finally
        {
            close(fd);
        }
    }

    public bool FileExists(string path) => File.Exists(path);

    public bool DirectoryExists(string path) => Directory.Exists(path);

    public void CreateDirectory(string path)
    {
        var p = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* pp = p)
        {
            if (mkdir(pp, 0x1ed /* 0755 */) == 0)
                return;
            var e = Marshal.GetLastPInvokeError();
            if (e != Errnos.EEXIST)
                throw new CgroupException($"mkdir {path}", e, path);
        }
    }

    public void RemoveDirectory(string path)
    {
        var p = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* pp = p)
        {
            if (rmdir(pp) != 0)
                throw new CgroupException($"rmdir {path}", Marshal.GetLastPInvokeError(), path);
        }
    }

    public IReadOnlyList<string> ListDirectories(string path)
    {
        try
        {
            return Directory.GetDirectories(path).Select(System.IO.Path.GetFileName).OfType<string>().ToList();
        }
        catch (DirectoryNotFoundException)
        {
            throw new CgroupException($"list {path}", Errnos.ENOENT, path);
        }
    }

    private static int Open(string path, int flags, string what)
    {
        var p = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* pp = p)
        {
            while (true)
            {
                var fd = open(pp, flags, 0);
                if (fd >= 0)
                    return fd;
                var e = Marshal.GetLastPInvokeError();
                if (e != Errnos.EINTR)
                    throw new CgroupException($"{what} {path}", e, path);
            }
        }
    }
}
