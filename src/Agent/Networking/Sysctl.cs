namespace ContainerConsole.Networking;

/// <summary>Kernel parameters under /proc/sys, one path segment per name part (interface names may hold dots).</summary>
internal sealed class Sysctl(string root = "/proc/sys")
{
    /// <summary>Writes the value unless it is already set (a write can be refused where a read is not).</summary>
    public void Set(string value, params string[] segments)
    {
        var path = Path.Combine([root, .. segments]);
        try
        {
            if (File.ReadAllText(path).Trim() == value)
                return;
            File.WriteAllText(path, value);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"setting {string.Join('.', segments)}={value} failed: {e.Message}", e);
        }
    }
}
