using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace ContainerConsole.Web.Model;

/// <summary>
/// Checks of what the images, volumes and networks forms take, so a mistake is named next to its field before anything
/// is sent (the agent checks again). Each check returns the problem, or null when the value is fine.
/// </summary>
public static partial class ResourceForms
{
    /// <summary>Parses <c>KEY=value</c> lines (blank lines skipped) or says which line is wrong.</summary>
    public static (Dictionary<string, string> Values, string? Error) KeyValues(string? text, string what)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var lines = (text ?? "").Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                return (values, $"{what}, line {i + 1}: '{line}' is not KEY=value.");
            }

            values[line[..eq].Trim()] = line[(eq + 1)..];
        }

        return (values, null);
    }

    /// <summary>An image reference such as <c>busybox</c>, <c>busybox:1.36</c>, <c>127.0.0.1:5000/team/app:1.2</c> or one by digest.</summary>
    public static string? ImageReference(string? value) =>
        string.IsNullOrWhiteSpace(value) ? "An image reference is required."
        : ReferencePattern().IsMatch(value) ? null
        : $"'{value}' is not an image reference (e.g. busybox:latest or 127.0.0.1:5000/team/app:1.2).";

    /// <summary>A tag: letters, digits, '_', '.', '-', up to 128, not starting with '.' or '-'.</summary>
    public static string? Tag(string? value) =>
        value is not null && TagPattern().IsMatch(value) ? null : $"'{value}' is not a tag (letters, digits, _ . -, at most 128).";

    /// <summary>A volume or network name as Docker accepts it (empty means "let the agent choose" when <paramref name="optional"/>).</summary>
    public static string? Name(string? value, bool optional) =>
        string.IsNullOrEmpty(value) ? (optional ? null : "A name is required.")
        : NamePattern().IsMatch(value) ? null
        : $"'{value}' is not a valid name (a letter or digit, then letters, digits, _ . -).";

    /// <summary>An IPv4 or IPv6 subnet in CIDR notation, and a gateway inside it when one is given.</summary>
    public static string? Subnet(string? subnet, string? gateway)
    {
        if (string.IsNullOrWhiteSpace(subnet))
        {
            return string.IsNullOrWhiteSpace(gateway) ? null : "A gateway needs a subnet.";
        }

        if (!IPNetwork.TryParse(subnet.Trim(), out var network))
        {
            return $"'{subnet}' is not a subnet in CIDR notation (e.g. 10.50.0.0/24).";
        }

        if (string.IsNullOrWhiteSpace(gateway))
        {
            return null;
        }

        if (!IPAddress.TryParse(gateway.Trim(), out var address))
        {
            return $"'{gateway}' is not an IP address.";
        }

        return network.Contains(address) ? null : $"The gateway {gateway} is not inside {network}.";
    }

    /// <summary>A byte count as <c>docker images</c> prints it (powers of 1000, as Docker does).</summary>
    public static string Size(long bytes) => bytes switch
    {
        < 1000 => bytes.ToString(CultureInfo.InvariantCulture) + " B",
        < 1000_000 => (bytes / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + " kB",
        < 1000_000_000 => (bytes / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + " MB",
        _ => (bytes / 1e9).ToString("0.##", CultureInfo.InvariantCulture) + " GB",
    };

    [GeneratedRegex(@"^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$")]
    private static partial Regex ReferencePattern();

    [GeneratedRegex(@"^[\w][\w.-]{0,127}$")]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")]
    private static partial Regex NamePattern();
}
