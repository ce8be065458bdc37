namespace ContainerConsole.Runtime.State;

/// <summary>Writes a file so that readers see the old or the new content, never half (rule 4).</summary>
public static class AtomicFile
{
    private const UnixFileMode DefaultMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public static void Write(string path, ReadOnlySpan<byte> content, UnixFileMode mode = DefaultMode) => Write(path, content, mode, durable: true);

    public static void WriteText(string path, string content) => Write(path, System.Text.Encoding.UTF8.GetBytes(content));

    /// <summary>
    /// Atomic but not fsynced: for files derived from state and written again before every use (a container's
    /// config.json, hostname, hosts and resolv.conf are made anew at each start). An fsync costs ~5 ms on this
    /// kind of disk, and a container start wrote five of these.
    /// </summary>
    public static void WriteDerived(string path, ReadOnlySpan<byte> content) => Write(path, content, DefaultMode, durable: false);

    public static void WriteDerivedText(string path, string content) => WriteDerived(path, System.Text.Encoding.UTF8.GetBytes(content));

    private static void Write(string path, ReadOnlySpan<byte> content, UnixFileMode mode, bool durable)
    {
        var tmp = $"{path}.tmp-{Environment.ProcessId}-{Environment.CurrentManagedThreadId}";
        try
        {
            // A bare handle, not a FileStream: no buffer, no advisory lock, one write (and one fsync when durable).
            using (var handle = File.OpenHandle(tmp, FileMode.Create, FileAccess.Write, FileShare.ReadWrite, FileOptions.None, 0))
            {
                File.SetUnixFileMode(handle, mode);
                RandomAccess.Write(handle, content, 0);
                if (durable)
                    RandomAccess.FlushToDisk(handle);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
    }
}
