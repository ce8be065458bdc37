using System.Globalization;

namespace ContainerConsole.Web.Model;

/// <summary>Byte counts as people read them (binary units: 1 KiB = 1024 B).</summary>
public static class ByteSize
{
    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

    public static string Format(double bytes)
    {
        var unit = 0;
        while (Math.Abs(bytes) >= 1024 && unit < Units.Length - 1)
        {
            bytes /= 1024;
            unit++;
        }

        return (unit == 0 ? bytes.ToString("0", CultureInfo.InvariantCulture) : bytes.ToString("0.#", CultureInfo.InvariantCulture)) + " " + Units[unit];
    }
}
