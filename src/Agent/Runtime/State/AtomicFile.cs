namespace ContainerConsole.Runtime.State;

/// <summary>Writes a file so that readers see the old or the new content, never half (rule 4).</summary>
public static class AtomicFile
{
    public static void Write(string path, ReadOnlySpan<byte> content, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead)
    {
        var tmp = $"{path}.tmp-{Environment.ProcessId}-{Environment.CurrentManagedThreadId}";
        try
        {
            // A bare handle, not a FileStream: no buffer, no advisory lock, one write and one fsync.
            using (var handle = File.OpenHandle(tmp, FileMode.Create, FileAccess.Write, FileShare.ReadWrite, FileOptions.None, 0))
            {
                File.SetUnixFileMode(handle, mode);
                RandomAccess.Write(handle, content, 0);
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

    public static void WriteText(string path, string content) => Write(path, System.Text.Encoding.UTF8.GetBytes(content));
}
