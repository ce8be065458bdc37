using System.Globalization;

namespace ContainerConsole.Images.Build;

/// <summary>
/// COPY/ADD --chown=user[:group]: names are looked up in the stage's /etc/passwd and /etc/group, numbers need no
/// entry; a user without a group takes the same number as the group, as Docker documents.
/// </summary>
public static class ChownSpec
{
    public static (int Uid, int Gid) Resolve(string chown, string? passwd, string? group)
    {
        var parts = chown.Split(':', 2);
        if (parts[0].Length == 0 || (parts.Length == 2 && parts[1].Length == 0))
        {
            throw new BuildException($"invalid --chown value \"{chown}\": expected user[:group]");
        }

        var uid = Lookup(parts[0], passwd, "user", "passwd");
        var gid = parts.Length == 2 ? Lookup(parts[1], group, "group", "group") : uid;
        return (uid, gid);
    }

    private static int Lookup(string nameOrId, string? file, string what, string fileName)
    {
        if (int.TryParse(nameOrId, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            return id;
        }

        foreach (var line in (file ?? "").Split('\n'))
        {
            var f = line.Split(':');
            if (f.Length >= 3 && f[0] == nameOrId && int.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var found))
            {
                return found;
            }
        }

        throw new BuildException(file is null
            ? $"unable to convert uid/gid chown string to host mapping: no /etc/{fileName} in the image to look up {what} \"{nameOrId}\""
            : $"unable to find {what} {nameOrId}: no matching entries in {fileName} file");
    }
}
