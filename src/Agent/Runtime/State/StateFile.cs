using System.Globalization;
using System.Text.Json;
using ContainerConsole.Runtime.Spec;

namespace ContainerConsole.Runtime.State;

/// <summary>
/// state.json, written with Utf8JsonWriter and read with JsonDocument: every runtime
/// command reads or writes it, and the generated serializer's first-use setup
/// (~4 ms here) cost more than all the rest of the file handling. The config is
/// embedded as the bundle's own JSON when unchanged.
/// </summary>
internal static class StateFile
{
    public static byte[] Write(ContainerRecord r)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteString("id", r.Id);
            w.WriteString("bundle", r.Bundle);
            w.WriteString("rootfs", r.Rootfs);
            w.WriteNumber("initPid", r.InitPid);
            w.WriteNumber("initStartTime", r.InitStartTime);
            w.WriteString("created", r.Created.ToString("O", CultureInfo.InvariantCulture));
            w.WriteBoolean("started", r.Started);
            w.WriteString("cgroupsPath", r.CgroupsPath);
            w.WritePropertyName("config");
            w.WriteRawValue(r.ConfigJson ?? JsonSerializer.SerializeToUtf8Bytes(r.Config, RuntimeSpecJson.Default.RuntimeSpec), skipInputValidation: r.ConfigJson is null);
            w.WriteEndObject();
        }
        return ms.ToArray();
    }

    public static ContainerRecord Read(byte[] json)
    {
        using var doc = JsonDocument.Parse(json);
        var e = doc.RootElement;
        var config = e.GetProperty("config");
        var raw = System.Text.Encoding.UTF8.GetBytes(config.GetRawText());
        return new ContainerRecord
        {
            Id = e.GetProperty("id").GetString()!,
            Bundle = e.GetProperty("bundle").GetString()!,
            Rootfs = e.GetProperty("rootfs").GetString()!,
            InitPid = e.GetProperty("initPid").GetInt32(),
            InitStartTime = e.GetProperty("initStartTime").GetUInt64(),
            Created = DateTime.Parse(e.GetProperty("created").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
            Started = e.GetProperty("started").GetBoolean(),
            CgroupsPath = e.GetProperty("cgroupsPath").GetString()!,
            Config = RuntimeSpecReader.Read(raw),
            ConfigJson = raw,
        };
    }
}
