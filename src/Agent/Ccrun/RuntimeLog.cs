using System.Text.Json;

namespace ContainerConsole.Ccrun;

/// <summary>Errors go to stderr and, with --log, to a file in runc's text or json format (containerd reads the json form).</summary>
public sealed class RuntimeLog(string? path, string format)
{
    public void Error(string message)
    {
        Console.Error.WriteLine($"ccrun: {message}");
        if (path is null)
            return;
        var time = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", System.Globalization.CultureInfo.InvariantCulture);
        var line = format == "json"
            ? $"{{\"level\":\"error\",\"msg\":{JsonEncode(message)},\"time\":\"{time}\"}}"
            : $"time=\"{time}\" level=error msg={JsonEncode(message)}";
        try
        {
            File.AppendAllText(path, line + "\n");
        }
        catch (IOException)
        {
            // the log is best effort; stderr already has the message
        }
    }

    private static string JsonEncode(string s)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
            w.WriteStringValue(s);
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }
}
