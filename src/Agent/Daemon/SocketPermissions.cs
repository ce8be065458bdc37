using System.Text;

namespace ContainerConsole.Agent;

/// <summary>The API socket is root's: mode 0660, owned by root and, optionally, a group (dockerd's -G).</summary>
public static class SocketPermissions
{
    public static unsafe void Apply(string path, string? group)
    {
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
        if (string.IsNullOrEmpty(group))
            return;
        var gid = GroupId(group) ?? throw new ArgumentException($"--group: no group named \"{group}\" in /etc/group");
        var bytes = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
            if (Tmds.Linux.LibC.chown(p, 0, gid) != 0)
                throw ContainerConsole.Runtime.Interop.SyscallException.Last("chown", path);
    }

    private static uint? GroupId(string group)
    {
        if (uint.TryParse(group, out var numeric))
            return numeric;
        foreach (var line in File.ReadLines("/etc/group"))
        {
            var f = line.Split(':');
            if (f.Length > 2 && f[0] == group && uint.TryParse(f[2], out var gid))
                return gid;
        }
        return null;
    }
}
